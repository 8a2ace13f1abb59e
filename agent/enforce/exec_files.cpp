#include "agent/enforce/exec_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "agent/identity/exe_hasher.h"

namespace ztai::enforce {
namespace {

namespace fs = std::filesystem;

struct Resolver {
  const ExecResolveLimits& limits;
  ExecResolution& out;
  size_t count = 0;

  // The file a path leads to, if it is a regular file and its content matches the pin.
  void add(const std::string& path, const ProcessPolicy& p, const ExecRule& r,
           std::vector<std::pair<uint32_t, uint64_t>>& files, bool quiet_if_missing) {
    struct stat sb;
    if (stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) {
      if (!quiet_if_missing) out.notes.push_back(fmt::format("policy {} rule {}: {} is not a file", p.name, r.name, path));
      return;
    }
    if (!r.sha256.empty()) {
      if (static_cast<uint64_t>(sb.st_size) > limits.max_hash_bytes) {
        out.notes.push_back(fmt::format("policy {} rule {}: {} is too large to hash", p.name, r.name, path));
        return;
      }
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      uint64_t bytes = 0;
      std::string sha = fd >= 0 ? sha256_of(fd, bytes) : std::string();
      struct stat after {};
      bool same = fd >= 0 && fstat(fd, &after) == 0 && after.st_ino == sb.st_ino && after.st_dev == sb.st_dev;
      if (fd >= 0) close(fd);
      if (!same || sha != r.sha256) {
        out.notes.push_back(fmt::format("policy {} rule {}: {} has sha256 {}, not the pinned {}", p.name, r.name, path,
                                        sha.empty() ? "(unreadable)" : sha, r.sha256));
        return;
      }
    }
    if (++count > limits.max_files) {
      if (count == limits.max_files + 1) {
        out.notes.push_back(fmt::format("more than {} executables named by exec rules; the rest are not", limits.max_files));
      }
      return;
    }
    files.emplace_back(kernel_dev(sb.st_dev), static_cast<uint64_t>(sb.st_ino));
  }
};

}  // namespace

ExecResolution resolve_exec_files(const GuardPlan& plan, const ExecResolveLimits& limits) {
  ExecResolution out;
  Resolver r{limits, out};
  for (size_t pi = 0; pi < plan.policies.size(); ++pi) {
    const ProcessPolicy& p = plan.policies[pi];
    for (size_t ri = 0; ri < p.exec_rules.size(); ++ri) {
      const ExecRule& rule = p.exec_rules[ri];
      auto& files = out.files[{pi, ri}];
      if (rule.path.kind == PathPattern::Kind::kExact) {
        out.watch_dirs.insert(fs::path(rule.path.value).parent_path().string());
        // The link's target directory too: an upgrade replaces the target, not the link.
        std::error_code ec;
        fs::path target = fs::canonical(rule.path.value, ec);
        if (!ec) out.watch_dirs.insert(target.parent_path().string());
        r.add(rule.path.value, p, rule, files, false);
        continue;
      }
      if (rule.path.kind != PathPattern::Kind::kPrefix) {
        out.notes.push_back(fmt::format("policy {} rule {}: *{} names no directory to resolve", p.name, rule.name,
                                        rule.path.value));
        continue;
      }
      std::string dir = rule.path.value;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      out.watch_dirs.insert(dir);
      std::error_code ec;
      for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
          out.watch_dirs.insert(it->path().string());
        } else {
          r.add(it->path().string(), p, rule, files, true);
        }
      }
    }
  }
  return out;
}

}  // namespace ztai::enforce
