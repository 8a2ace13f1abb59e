#include "agent/policy/policy_parser.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/policy/process_sections.h"
#include "agent/policy/spec_sections.h"

namespace ztai::policy {

const std::vector<SpecSection>& spec_sections() {
  static const std::vector<SpecSection> sections = {
      {"egress", parse_egress},
      {"ingress", parse_ingress},
      {"exec", parse_exec},
      {"files", parse_files},
      {"io_uring", parse_io_uring},
      {"unix", parse_unix},
  };
  return sections;
}

namespace {

Result<WorkloadPolicy> parse_document(const YAML::Node& doc, const ParseContext& ctx) {
  WorkloadPolicy p;
  p.where = ctx.ref(doc);
  auto top = YamlMap::of(doc, ctx.file, "");
  if (!top) return top.error();
  auto api = top->get_string("apiVersion", "");
  if (!api) return api.error();
  if (*api != kApiVersion) {
    return ctx.bad(top->get("apiVersion"), "apiVersion", fmt::format("'{}' is not {}", *api, kApiVersion));
  }
  auto kind = top->get_string("kind", "");
  if (!kind) return kind.error();
  if (*kind != kKind) return ctx.bad(top->get("kind"), "kind", fmt::format("'{}' is not {}", *kind, kKind));

  auto meta = top->get_map("metadata");
  if (!meta) return meta.error();
  auto name = meta->get_string("name", "");
  if (!name) return name.error();
  if (name->empty()) return ctx.bad(doc, "metadata.name", "is required");
  if (name->size() > 253 || name->find_first_of(" \t\n/") != std::string::npos) {
    return ctx.bad(meta->get("name"), "metadata.name", "at most 253 characters, no blanks or '/'");
  }
  p.name = *name;
  // Labels and annotations are for people and tools; accepted, not used.
  meta->get("labels");
  meta->get("annotations");
  if (auto st = meta->finish(); !st) return st.error();

  YAML::Node spec_node = top->get("spec");
  if (!spec_node.IsDefined()) return ctx.bad(doc, "spec", "is required");
  auto spec = YamlMap::of(spec_node, ctx.file, "spec");
  if (!spec) return spec.error();
  if (auto st = top->finish(); !st) return st.error();

  if (auto st = parse_selector(spec->get("selector"), ctx, p); !st) return st.error();
  auto mode = spec->get_string("mode", "enforce");
  if (!mode) return mode.error();
  if (*mode == "audit") {
    p.mode = Mode::kAudit;
  } else if (*mode != "enforce") {
    return ctx.bad(spec->get("mode"), "spec.mode", fmt::format("'{}' is not enforce or audit", *mode));
  }
  for (const SpecSection& section : spec_sections()) {
    if (auto st = section.parse(spec->get(section.key), ctx, p); !st) return st.error();
  }
  if (auto st = spec->finish(); !st) return st.error();
  return p;
}

}  // namespace

Result<std::vector<WorkloadPolicy>> parse_policy_text(const std::string& text, const std::string& name) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    return make_error(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  ParseContext ctx{name};
  std::vector<WorkloadPolicy> out;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document between separators
    auto p = parse_document(doc, ctx);
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, "{}: no WorkloadPolicy in the file", name);
  return out;
}

Result<std::vector<WorkloadPolicy>> parse_policy_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kNotFound, "{}: cannot open the file", path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kIo, "{}: read failed", path);
  return parse_policy_text(text.str(), path);
}

Status check_policy_set(const std::vector<WorkloadPolicy>& policies) {
  std::map<std::string, const WorkloadPolicy*> by_name;
  for (const WorkloadPolicy& p : policies) {
    auto [it, fresh] = by_name.emplace(p.name, &p);
    if (!fresh) {
      return make_error(ErrorCode::kInvalidArgument, "{}: policy '{}' is already defined at {}", p.where.str(), p.name,
                        it->second->where.str());
    }
  }
  for (const WorkloadPolicy& p : policies) {
    for (const IngressRule& r : p.ingress.allow) {
      if (!by_name.count(r.from_workload)) {
        return make_error(ErrorCode::kInvalidArgument,
                          "{}: from.workload '{}' is not the name of a loaded policy (its selector defines the peers)",
                          r.where.str(), r.from_workload);
      }
    }
  }
  return {};
}

LoadedPolicies load_policies(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  LoadedPolicies out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path().string());
      }
      if (ec) out.errors.push_back(make_error(ErrorCode::kIo, "{}: cannot list the folder: {}", path, ec.message()));
      std::sort(files.begin(), files.end());
      out.files.insert(out.files.end(), files.begin(), files.end());
    } else {
      out.files.push_back(path);
    }
  }
  for (const std::string& file : out.files) {
    auto parsed = parse_policy_file(file);
    if (!parsed) {
      out.errors.push_back(parsed.error());
      continue;
    }
    for (WorkloadPolicy& p : *parsed) out.policies.push_back(std::move(p));
  }
  if (out.errors.empty()) {
    if (auto st = check_policy_set(out.policies); !st) out.errors.push_back(st.error());
  }
  return out;
}

}  // namespace ztai::policy
