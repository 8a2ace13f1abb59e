// spec.exec, spec.files, spec.io_uring and spec.unix.
#include "agent/policy/process_sections.h"

#include <algorithm>
#include <cctype>

namespace ztai::policy {
namespace {

// An exact file or a directory: what the kernel can match by inode or fanotify can mark.
Result<PathPattern> parse_file_pattern(const YAML::Node& node, const ParseContext& ctx, const std::string& what) {
  if (!node.IsDefined()) return ctx.bad(node, what, "path is required");
  if (!node.IsScalar()) return ctx.bad(node, what + ".path", "expected a string");
  auto p = parse_path_pattern(node.Scalar());
  if (!p) return ctx.bad(node, what + ".path", p.error().message());
  if (p->kind == PathPattern::Kind::kSuffix) {
    return ctx.bad(node, what + ".path",
                   "a suffix pattern names no file or directory; give an absolute file or a directory (\"/dir/*\")");
  }
  return *p;
}

Status check_list(const YAML::Node& list, const ParseContext& ctx, const std::string& what) {
  if (list.IsDefined() && !list.IsNull() && !list.IsSequence()) return ctx.bad(list, what, "expected a list of rules");
  return {};
}

uint32_t line_of(const ParseContext& ctx, const YAML::Node& n) { return ctx.ref(n).line; }

Status parse_exec_rules(YamlMap& m, const char* key, bool deny, const ParseContext& ctx,
                        std::vector<ExecPolicyRule>& out) {
  YAML::Node list = m.get(key);
  std::string section = fmt::format("spec.exec.{}", key);
  if (auto s = check_list(list, ctx, section); !s) return s;
  size_t index = 0;
  for (const YAML::Node& item : list) {
    std::string what = fmt::format("{}[{}]", section, index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    ExecPolicyRule rule;
    rule.line = line_of(ctx, item);
    auto name = r->get_string("name", fmt::format("exec.{}[{}]", key, index));
    if (!name) return name.error();
    rule.name = *name;
    auto path = parse_file_pattern(r->get("path"), ctx, what);
    if (!path) return path.error();
    rule.path = *path;
    YAML::Node sha = r->get("sha256");
    if (sha.IsDefined()) {
      if (deny) {
        return ctx.bad(sha, what + ".sha256",
                       "a pin only narrows an allow rule; deny by allowlisting (default: deny) instead");
      }
      if (rule.path.kind != PathPattern::Kind::kExact) {
        return ctx.bad(sha, what + ".sha256", "a pin needs an exact path, not a directory");
      }
      std::string hex = sha.IsScalar() ? sha.Scalar() : "";
      std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
      if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(c); })) {
        return ctx.bad(sha, what + ".sha256", "expected 64 hexadecimal digits");
      }
      rule.sha256 = hex;
    }
    if (auto st = r->finish(); !st) return st;
    out.push_back(std::move(rule));
    index++;
  }
  return {};
}

}  // namespace

Status parse_exec(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  auto m = YamlMap::of(node, ctx.file, "spec.exec");
  if (!m) return m.error();
  ExecSpec& e = out.process.exec;
  e.present = true;
  auto def = parse_default_action(m->get("default"), ctx, "spec.exec.default");
  if (!def) return def.error();
  e.default_deny = *def == DefaultAction::kDeny;
  if (auto s = parse_exec_rules(*m, "allow", false, ctx, e.allow); !s) return s;
  if (auto s = parse_exec_rules(*m, "deny", true, ctx, e.deny); !s) return s;
  return m->finish();
}

Status parse_files(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  auto m = YamlMap::of(node, ctx.file, "spec.files");
  if (!m) return m.error();
  FilesSpec& f = out.process.files;
  f.present = true;
  YAML::Node list = m->get("deny");
  if (auto s = check_list(list, ctx, "spec.files.deny"); !s) return s;
  size_t index = 0;
  for (const YAML::Node& item : list) {
    std::string what = fmt::format("spec.files.deny[{}]", index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    FilePolicyRule rule;
    rule.line = line_of(ctx, item);
    auto name = r->get_string("name", fmt::format("files.deny[{}]", index));
    if (!name) return name.error();
    rule.name = *name;
    auto path = parse_file_pattern(r->get("path"), ctx, what);
    if (!path) return path.error();
    rule.path = *path;
    YAML::Node access = r->get("access");
    if (!access.IsDefined()) {
      rule.access = kAccessRead | kAccessWrite;
    } else {
      if (!access.IsSequence() || access.size() == 0) {
        return ctx.bad(access, what + ".access", "expected a list of read, write, exec");
      }
      for (const YAML::Node& a : access) {
        std::string s = a.IsScalar() ? a.Scalar() : "";
        if (s == "read") {
          rule.access |= kAccessRead;
        } else if (s == "write") {
          rule.access |= kAccessWrite;
        } else if (s == "exec") {
          rule.access |= kAccessExec;
        } else {
          return ctx.bad(a, what + ".access", fmt::format("'{}' is not read, write or exec", s));
        }
      }
    }
    if (auto st = r->finish(); !st) return st;
    f.deny.push_back(std::move(rule));
    index++;
  }
  return m->finish();
}

Status parse_io_uring(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  std::string s = node.IsScalar() ? node.Scalar() : "";
  if (s != "deny" && s != "allow") return ctx.bad(node, "spec.io_uring", fmt::format("'{}' is not allow or deny", s));
  out.process.io_uring_deny = s == "deny";
  return {};
}

Status parse_unix(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  auto m = YamlMap::of(node, ctx.file, "spec.unix");
  if (!m) return m.error();
  UnixSpec& u = out.process.unix_sockets;
  u.present = true;
  YAML::Node list = m->get("deny");
  if (auto s = check_list(list, ctx, "spec.unix.deny"); !s) return s;
  size_t index = 0;
  for (const YAML::Node& item : list) {
    std::string what = fmt::format("spec.unix.deny[{}]", index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    UnixPolicyRule rule;
    rule.line = line_of(ctx, item);
    auto name = r->get_string("name", fmt::format("unix.deny[{}]", index));
    if (!name) return name.error();
    rule.name = *name;
    YAML::Node path = r->get("path");
    std::string p = path.IsScalar() ? path.Scalar() : "";
    // sun_path holds 108 bytes with its NUL; the kernel hook sees the path as connect(2) got it.
    if (p.empty() || p[0] != '/' || p.size() >= 108) {
      return ctx.bad(path.IsDefined() ? path : item, what + ".path",
                     "expected an absolute socket path shorter than 108 bytes");
    }
    rule.path = p;
    if (auto st = r->finish(); !st) return st;
    u.deny.push_back(std::move(rule));
    index++;
  }
  return m->finish();
}

}  // namespace ztai::policy
