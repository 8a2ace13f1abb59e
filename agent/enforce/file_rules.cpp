#include "agent/enforce/file_rules.h"

namespace ztai::enforce {

std::optional<FileDecision> decide_open(const FileGuardPlan& plan, std::string_view cgroup_path,
                                        std::string_view file_path, bool exec_open, const RuleRefs& inode_rules) {
  // Nearest targeted ancestor: cut the path at each '/' from the end.
  std::string_view at = cgroup_path;
  const size_t* policy_index = nullptr;
  std::string workload;
  while (true) {
    auto it = plan.workloads.find(std::string(at.empty() ? "/" : at));
    if (it != plan.workloads.end()) {
      policy_index = &it->second;
      workload = it->first;
      break;
    }
    if (at.empty() || at == "/") break;
    size_t slash = at.rfind('/');
    if (slash == std::string_view::npos) break;
    at = at.substr(0, slash);
  }
  if (!policy_index || *policy_index >= plan.policies.size()) return std::nullopt;
  const FilePolicy& policy = plan.policies[*policy_index];
  uint8_t wanted = exec_open ? kFileExec : (kFileRead | kFileWrite);
  for (size_t i = 0; i < policy.deny.size(); ++i) {
    const FileRule& rule = policy.deny[i];
    if (!(rule.access & wanted)) continue;
    if (rule.path.matches(file_path) || inode_rules.count({*policy_index, i})) {
      return FileDecision{&policy, &rule, workload};
    }
  }
  return std::nullopt;
}

}  // namespace ztai::enforce
