// A policy's egress CIDR rules -> the entries of the kernel's prefix trie (bpf/abi/policy.h). The
// kernel does one longest-prefix lookup per connect, so each entry carries the port ranges of its
// own rules and of every wider rule containing it. IPv4 is stored IPv4-mapped; an IPv6 rule never
// lends its ports to IPv4 destinations (::/0 does not allow 10.0.0.1).
#pragma once

#include <cstdint>
#include <vector>

#include "agent/common/result.h"
#include "agent/policy/workload_policy.h"
#include "bpf/abi/policy.h"

namespace ztai::enforce {

struct EgressPrefix {
  std::array<uint8_t, 16> addr{};  // IPv6, IPv4 as ::ffff:a.b.c.d
  uint8_t prefix_len = 0;          // of the 128-bit address
  std::vector<ztai_port_range> ranges;
};

// Fails, naming the rule, when more port ranges apply to one prefix than the kernel entry holds.
Result<std::vector<EgressPrefix>> compile_egress(const policy::WorkloadPolicy& p);

// The kernel's port ranges of one egress.allow rule (no ports: all), tagged with its index.
std::vector<ztai_port_range> port_ranges(const policy::EgressRule& rule, uint16_t index);

// A receiving policy's ingress rules for one calling policy: the ports it may connect to.
struct IngressEntry {
  uint32_t from_policy = 0;  // policy_id of the caller's policy (index in the loaded list + 1)
  std::vector<ztai_port_range> ranges;
};

// The ingress entries of policies[index] (empty when ingress is absent or defaults to allow);
// fails, naming the rule, when more port ranges apply to one caller than the kernel entry holds.
Result<std::vector<IngressEntry>> compile_ingress(const std::vector<policy::WorkloadPolicy>& policies, size_t index);

// The trie key of a prefix for a policy in a generation slot.
ztai_egress_key egress_key(const EgressPrefix& prefix, uint32_t policy_id, uint32_t generation);

}  // namespace ztai::enforce
