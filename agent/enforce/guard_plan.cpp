#include "agent/enforce/guard_plan.h"

namespace ztai::enforce {

Result<GuardTables> build_guard_tables(const GuardPlan& plan, const ResolvedExecFiles& files) {
  GuardTables t;
  for (size_t pi = 0; pi < plan.policies.size(); ++pi) {
    const ProcessPolicy& p = plan.policies[pi];
    for (size_t ri = 0; ri < p.exec_rules.size(); ++ri) {
      auto it = files.find({pi, ri});
      if (it == files.end()) continue;
      const ExecRule& r = p.exec_rules[ri];
      for (const auto& [dev, ino] : it->second) {
        GuardEntry entry{r.deny ? ZTAI_GUARD_DENY : ZTAI_GUARD_ALLOW, r.rule_id};
        auto [at, inserted] = t.exec_files.try_emplace(GuardFileKey{p.policy_id, dev, ino}, entry);
        // A deny wins over allows of the same file; the first deny names the rule.
        if (!inserted && r.deny && at->second.verdict != ZTAI_GUARD_DENY) at->second = entry;
      }
    }
    for (const UnixRule& u : p.unix_deny) {
      if (u.path.empty() || u.path[0] != '/' || u.path.size() >= ZTAI_UNIX_PATH_MAX) {
        return make_error(ErrorCode::kInvalidArgument,
                          "policy {} rule {}: unix socket path \"{}\" must be absolute and shorter than {} bytes",
                          p.name, u.name, u.path, ZTAI_UNIX_PATH_MAX);
      }
      t.unix_paths[GuardUnixKey{p.policy_id, u.path}] = {ZTAI_GUARD_DENY, u.rule_id};
    }
  }
  for (const GuardTarget& target : plan.targets) {
    if (target.policy >= plan.policies.size()) continue;
    const ProcessPolicy& p = plan.policies[target.policy];
    GuardWorkload w;
    w.policy_id = p.policy_id;
    w.flags = (p.exec ? ZTAI_GUARD_EXEC : 0) | (p.exec && p.exec_default_deny ? ZTAI_GUARD_EXEC_DEFAULT_DENY : 0) |
              (p.io_uring_deny ? ZTAI_GUARD_IO_URING_DENY : 0) | (!p.unix_deny.empty() ? ZTAI_GUARD_UNIX : 0) |
              (p.audit ? ZTAI_GUARD_AUDIT : 0);
    // Written even with nothing to enforce: the kernel takes the deepest entry, so a cgroup
    // governed by such a policy is not judged by an ancestor's.
    w.exec_default_rule_id = p.exec_default_rule_id;
    w.io_uring_rule_id = p.io_uring_rule_id;
    w.cgroup_path = target.cgroup_path;
    t.workloads[target.cgroup_id] = w;
  }
  return t;
}

}  // namespace ztai::enforce
