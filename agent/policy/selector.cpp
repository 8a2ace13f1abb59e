#include "agent/policy/selector.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace ztai::policy {

bool selector_matches(const Selector& s, const CgroupFacts& c) {
  if (s.cgroup_path && !s.cgroup_path->matches(c.path)) return false;
  if (s.systemd_unit && (c.workload.systemd_unit.empty() || !s.systemd_unit->matches(c.workload.systemd_unit))) {
    return false;
  }
  if (s.needs_kubernetes()) {
    if (!c.pod) return false;
    if (s.k8s_namespace && c.pod->ns != *s.k8s_namespace) return false;
    for (const auto& [k, v] : s.k8s_labels) {
      auto it = c.pod->labels.find(k);
      if (it == c.pod->labels.end() || it->second != v) return false;
    }
  }
  if (s.container_image) {
    const PodContainer* pc = c.pod && !c.workload.container_id.empty() ? c.pod->container(c.workload.container_id) : nullptr;
    if (!pc || !s.container_image->matches(pc->image)) return false;
  }
  if (s.process_exe) {
    if (std::none_of(c.exes.begin(), c.exes.end(), [&](const std::string& e) { return s.process_exe->matches(e); })) {
      return false;
    }
  }
  return true;
}

namespace {

std::vector<std::string> exes_in(const std::filesystem::path& dir, const std::string& proc_root) {
  std::vector<std::string> out;
  std::ifstream procs(dir / "cgroup.procs");
  uint64_t pid = 0;
  while (procs >> pid) {
    char buf[4096];
    ssize_t n = readlink(fmt::format("{}/{}/exe", proc_root, pid).c_str(), buf, sizeof(buf));
    if (n <= 0) continue;  // a kernel thread, or the process exited
    std::string exe(buf, static_cast<size_t>(n));
    if (std::find(out.begin(), out.end(), exe) == out.end()) out.push_back(std::move(exe));
  }
  return out;
}

}  // namespace

Result<std::vector<CgroupFacts>> scan_cgroups(const std::string& mount, const PodStore* pods,
                                              const std::string& proc_root, bool read_exes) {
  namespace fs = std::filesystem;
  std::vector<CgroupFacts> out;
  auto add = [&](const fs::path& dir, std::string rel) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) return;
    CgroupFacts f;
    f.id = st.st_ino;
    f.path = std::move(rel);
    f.workload = parse_cgroup_path(f.path);
    if (pods && !f.workload.pod_uid.empty()) f.pod = pods->find(f.workload.pod_uid);
    if (read_exes) f.exes = exes_in(dir, proc_root);
    out.push_back(std::move(f));
  };
  std::error_code ec;
  if (!fs::is_directory(mount, ec)) return make_error(ErrorCode::kNotFound, "{}: no cgroup v2 mount there", mount);
  add(mount, "/");
  fs::recursive_directory_iterator it(mount, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return make_error(ErrorCode::kIo, "{}: cannot walk: {}", mount, ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) {
      ec.clear();  // a cgroup removed while walking
      continue;
    }
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    add(it->path(), "/" + fs::relative(it->path(), mount, ec).string());
  }
  return out;
}

PolicyTargets resolve_targets(const std::vector<WorkloadPolicy>& policies, const std::vector<CgroupFacts>& cgroups) {
  PolicyTargets t;
  t.matched_count.assign(policies.size(), 0);
  // Selected cgroups by path, then every cgroup takes the policy of its nearest selected ancestor.
  std::map<std::string, size_t> selected;
  for (const CgroupFacts& c : cgroups) {
    for (size_t i = 0; i < policies.size(); i++) {
      if (!selector_matches(policies[i].selector, c)) continue;
      auto [it, fresh] = selected.emplace(c.path, i);
      if (!fresh && it->second != i) {
        t.conflicts.push_back(fmt::format("{}: policy '{}' also selects cgroup {}, which policy '{}' governs",
                                          policies[i].where.str(), policies[i].name, c.path,
                                          policies[it->second].name));
      }
    }
  }
  for (const CgroupFacts& c : cgroups) {
    std::string p = c.path;
    while (true) {
      if (auto it = selected.find(p); it != selected.end()) {
        t.by_cgroup[c.id] = it->second;
        t.matched_count[it->second]++;
        break;
      }
      if (p == "/") break;
      size_t slash = p.rfind('/');
      p = slash == 0 ? "/" : p.substr(0, slash);
    }
  }
  return t;
}

bool filters_ingress_of_pods_anywhere(const WorkloadPolicy& p) {
  const Selector& s = p.selector;
  return p.ingress.present && p.ingress.default_action == DefaultAction::kDeny && s.needs_kubernetes() &&
         !s.cgroup_path && !s.systemd_unit && !s.container_image && !s.process_exe;
}

void resolve_remote_pods(const std::vector<WorkloadPolicy>& policies,
                         const std::vector<std::shared_ptr<const PodInfo>>& pods, const std::string& this_node,
                         PolicyTargets& targets) {
  targets.remote_pods.clear();
  for (const auto& pod : pods) {
    if (pod->node.empty() || pod->node == this_node || pod->host_network || pod->ips.empty()) continue;
    CgroupFacts facts;
    facts.pod = pod;
    for (size_t i = 0; i < policies.size(); i++) {
      if (!filters_ingress_of_pods_anywhere(policies[i]) || !selector_matches(policies[i].selector, facts)) continue;
      for (const IpAddress& ip : pod->ips) targets.remote_pods.emplace(ip.mapped(), i);
      break;
    }
  }
}

}  // namespace ztai::policy
