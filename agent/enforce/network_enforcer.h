// WorkloadPolicies -> the kernel's network policy maps, swapped in as a whole (a generation flip),
// and what each policy's enforcement really is (never silently weaker than it reads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <mutex>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/enforce/egress_maps.h"
#include "agent/enforce/fqdn_maps.h"
#include "agent/policy/selector.h"
#include "agent/policy/workload_policy.h"

namespace ztai::enforce {

enum class EnforcementState { kEnforced, kPartial, kNotEnforced };
std::string_view enforcement_state_name(EnforcementState s);  // enforced, partially_enforced, not_enforced

struct PolicyStatus {
  std::string name;
  policy::SourceRef where;
  policy::Mode mode = policy::Mode::kEnforce;
  EnforcementState state = EnforcementState::kEnforced;
  std::vector<std::string> reasons;  // why not (fully) enforced, one sentence each
  size_t cgroups = 0;                // cgroups it governs now
};

// What this host and agent can do, as far as policies care.
struct EnforceEnvironment {
  bool attached = true;        // the egress programs are attached at the enforcement root
  bool segmented = true;       // the segmentation programs are attached there too
  bool namespaces = true;      // the addresses of this node's network namespaces are listed for them
  bool remote_pods = false;    // the cluster's pods are watched: pods on other nodes are listed by IP
  bool seeded = true;          // listeners older than the agent are listed (socket iterators)
  bool inherit = true;         // the kernel copies policies to new cgroups (egress_inherit family)
  bool kubernetes = false;     // pod metadata is available
  bool hybrid_cgroups = false; // cgroup v1 hierarchies next to v2: cgroupfs containers share v2 cgroups
  bool fqdn = true;            // the DNS answer programs (cgroup_skb) are attached with the egress ones
};

// How fully a policy can be enforced here; pure, so every reason is unit-tested.
PolicyStatus assess_policy(const policy::WorkloadPolicy& p, const EnforceEnvironment& env, size_t cgroups);

// Policy, rule and mode of a denial record, for alerts.
struct DenialNames {
  std::string policy;  // "" when the record's generation is no longer known
  std::string rule;    // an egress.allow rule name, "egress.default" or "quarantine"
  std::string mode;    // enforce, audit
};

class NetworkEnforcer {
 public:
  explicit NetworkEnforcer(EgressMaps maps) : maps_(maps) {}
  // From now on, apply() also writes the policies' fqdn rules.
  void enable_fqdn(FqdnMaps maps) { fqdn_ = maps; }

  // Compiles every policy, writes them into the idle generation slot, flips, and clears the old
  // slot. On a compile or map error the running generation stays in force, untouched.
  Result<std::vector<PolicyStatus>> apply(const std::vector<policy::WorkloadPolicy>& policies,
                                          const policy::PolicyTargets& targets, const EnforceEnvironment& env);
  // Removes every policy (both slots); quarantine stays.
  Status clear();

  DenialNames describe(uint32_t generation, uint32_t policy_id, uint16_t rule) const;
  std::vector<PolicyStatus> status() const;
  EgressMaps& maps() { return maps_; }
  std::optional<FqdnMaps>& fqdn_maps() { return fqdn_; }

 private:
  struct Loaded {
    std::vector<policy::WorkloadPolicy> policies;  // policy_id - 1
  };
  Status put_fqdn(const std::vector<policy::WorkloadPolicy>& policies, uint32_t generation);

  EgressMaps maps_;
  std::optional<FqdnMaps> fqdn_;
  std::map<std::string, uint32_t> fqdn_set_ids_;  // by fqdn_signature: stable across reloads
  // Ids start at a random number: addresses an earlier agent learnt in adopted (pinned) maps must
  // not count for another rule set of this one that happens to get the same id.
  uint32_t fqdn_set_base_ = std::random_device{}();
  mutable std::mutex mutex_;
  std::shared_ptr<const Loaded> slots_[2];
  std::vector<PolicyStatus> status_;
};

}  // namespace ztai::enforce
