#include "agent/enforce/process_plan.h"

namespace ztai::enforce {

void GuardNames::name(GuardDenialPayload& d) const {
  auto p = policies.find(d.policy_id);
  if (p == policies.end()) return;
  d.policy_name = p->second.name;
  d.mode = p->second.mode;
  if (d.rule_id < p->second.rules.size()) d.rule_name = p->second.rules[d.rule_id];
}

ProcessPlans build_process_plans(const std::vector<policy::WorkloadPolicy>& policies,
                                 const policy::PolicyTargets& targets, const std::vector<policy::CgroupFacts>& cgroups,
                                 const std::string& cgroup_mount) {
  ProcessPlans out;
  // Policy ids start at 1; a policy keeps its index + 1, so ids match the network tables' order.
  for (size_t i = 0; i < policies.size(); ++i) {
    const policy::WorkloadPolicy& wp = policies[i];
    const policy::ProcessSpecs& spec = wp.process;
    uint32_t id = static_cast<uint32_t>(i + 1);
    bool audit = wp.mode == policy::Mode::kAudit;
    GuardNames::Policy& names = out.names.policies[id];
    names.name = wp.name;
    names.mode = std::string(policy::mode_name(wp.mode));
    names.rules.push_back("");
    auto rule_id = [&](const std::string& name) {
      names.rules.push_back(name);
      return static_cast<uint32_t>(names.rules.size() - 1);
    };

    // Every policy has an entry, even one with no process section, so that a cgroup it governs
    // is not judged by an ancestor's policy (the kernel and the file guard take the nearest).
    {
      ProcessPolicy p;
      p.policy_id = id;
      p.name = wp.name;
      p.audit = audit;
      p.exec = spec.exec.present;
      p.exec_default_deny = spec.exec.default_deny;
      p.exec_default_rule_id = rule_id("exec.default");
      for (const auto& r : spec.exec.allow) p.exec_rules.push_back({rule_id(r.name), r.name, r.path, r.sha256, false});
      for (const auto& r : spec.exec.deny) p.exec_rules.push_back({rule_id(r.name), r.name, r.path, "", true});
      p.io_uring_deny = spec.io_uring_deny;
      p.io_uring_rule_id = rule_id("io_uring");
      for (const auto& r : spec.unix_sockets.deny) p.unix_deny.push_back({rule_id(r.name), r.name, r.path});
      out.process.policies.push_back(std::move(p));
    }
    {
      FilePolicy f;
      f.policy_id = id;
      f.name = wp.name;
      f.audit = audit;
      for (const auto& r : spec.files.deny) {
        uint8_t access = (r.access & policy::kAccessRead ? kFileRead : 0) |
                         (r.access & policy::kAccessWrite ? kFileWrite : 0) |
                         (r.access & policy::kAccessExec ? kFileExec : 0);
        f.deny.push_back({rule_id(r.name), r.name, r.path, access});
      }
      out.files.policies.push_back(std::move(f));
    }
  }
  std::map<uint64_t, const policy::CgroupFacts*> by_id;
  for (const policy::CgroupFacts& c : cgroups) by_id[c.id] = &c;
  std::map<std::string, std::pair<size_t, uint64_t>> governed;  // path -> (policy index, cgroup id)
  for (const auto& [cgroup_id, policy_index] : targets.by_cgroup) {
    if (auto f = by_id.find(cgroup_id); f != by_id.end()) governed[f->second->path] = {policy_index, cgroup_id};
  }
  for (const auto& [rel, target] : governed) {
    const auto [policy_index, cgroup_id] = target;
    // A cgroup below one governed by the same policy is covered by the kernel's ancestor lookup
    // and the file guard's nearest-ancestor rule: only the top of each subtree needs an entry.
    size_t slash = rel.rfind('/');
    std::string parent = slash == 0 ? "/" : rel.substr(0, slash);
    if (rel != "/" && slash != std::string::npos) {
      auto up = governed.find(parent);
      if (up != governed.end() && up->second.first == policy_index) continue;
    }
    // Plans list the policies in the same order, so the index is the same in both.
    out.process.targets.push_back({cgroup_id, rel == "/" ? cgroup_mount : cgroup_mount + rel, policy_index});
    out.files.workloads[rel] = policy_index;
  }
  return out;
}

}  // namespace ztai::enforce
