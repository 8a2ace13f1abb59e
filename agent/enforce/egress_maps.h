// The network policy maps of the kernel (bpf/abi/policy.h), one method per thing the agent does
// with them. Holds file descriptors it does not own (the BPF object or the pinned maps own them).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "agent/common/result.h"
#include "bpf/abi/policy.h"

namespace ztai::enforce {

struct EgressMapFds {
  int state = -1;       // ztai_policy_state
  int cgroups = -1;     // ztai_policy_cgroups
  int prefixes = -1;    // ztai_egress_prefixes
  int quarantine = -1;  // ztai_quarantine
  int ingress = -1;     // ztai_ingress_allow; -1 when segmentation is not loaded
  int remote_pods = -1; // ztai_remote_pods; -1 when segmentation is not loaded
  bool valid() const { return state >= 0 && cgroups >= 0 && prefixes >= 0 && quarantine >= 0; }
};

class EgressMaps {
 public:
  explicit EgressMaps(EgressMapFds fds) : fds_(fds) {}

  // The generation slot the programs read (0 or 1).
  Result<uint32_t> generation() const;
  Status set_generation(uint32_t generation);

  Status put_cgroup(uint64_t cgroup_id, uint32_t generation, const ztai_policy_cgroup& value);
  Status put_prefix(const ztai_egress_key& key, const ztai_egress_value& value);
  Status put_ingress(const ztai_ingress_key& key, const ztai_egress_value& value);
  // A pod of another node (address IPv4 mapped) and the policy that selects it.
  Status put_remote_pod(const std::array<uint8_t, 16>& address, uint32_t generation, const ztai_policy_cgroup& value);
  // Every entry of a slot, those the kernel copied to new cgroups included.
  Status clear_generation(uint32_t generation);
  // cgroup ids with an entry in a slot.
  Result<std::vector<uint64_t>> cgroups_in(uint32_t generation) const;

  Status quarantine(uint64_t cgroup_id);
  Status release(uint64_t cgroup_id);
  Result<std::vector<uint64_t>> quarantined() const;

  const EgressMapFds& fds() const { return fds_; }

 private:
  EgressMapFds fds_;
};

}  // namespace ztai::enforce
