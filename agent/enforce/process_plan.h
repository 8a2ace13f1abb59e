// WorkloadPolicies -> what the process guard (exec, io_uring, unix sockets) and the file guard
// (protected files) must enforce, with the names that denials report. Pure, so it is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/enforce/file_rules.h"
#include "agent/enforce/guard_plan.h"
#include "agent/events/guard_payloads.h"
#include "agent/policy/selector.h"
#include "agent/policy/workload_policy.h"

namespace ztai::enforce {

// Names of the policies and rules behind the ids in the kernel tables and denials.
struct GuardNames {
  struct Policy {
    std::string name;
    std::string mode;                // enforce, audit
    std::vector<std::string> rules;  // by rule id; 0 is unused
  };
  std::map<uint32_t, Policy> policies;  // by policy id

  // Fills policy_name and rule_name of a denial ("" when the id is no longer loaded).
  void name(GuardDenialPayload& d) const;
};

struct ProcessPlans {
  GuardPlan process;
  FileGuardPlan files;
  GuardNames names;
};

// cgroup_mount: the cgroup v2 mount, to turn the facts' relative paths into directories.
ProcessPlans build_process_plans(const std::vector<policy::WorkloadPolicy>& policies,
                                 const policy::PolicyTargets& targets, const std::vector<policy::CgroupFacts>& cgroups,
                                 const std::string& cgroup_mount);

}  // namespace ztai::enforce
