// A policy's fqdn rules -> the entries of the kernel's name trie (bpf/abi/fqdn.h). Names are keyed
// as reversed wire names, so a wildcard "*.example.com" is the prefix [3]com[7]example and an
// exact name ends with its 0 byte. As in the prefix trie, each entry carries the ports of every
// rule whose pattern matches it, so the kernel's one longest-prefix lookup decides. A wildcard
// covers names below its suffix, not the suffix itself: the bare suffix gets an entry of its own
// with the ports of the wider wildcards only (possibly none).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/policy/workload_policy.h"
#include "bpf/abi/fqdn.h"

namespace ztai::enforce {

struct FqdnName {
  std::vector<uint8_t> key;  // reversed wire name; ends with 0 for an exact name
  std::vector<ztai_port_range> ranges;
};

// The reversed wire form of a pattern; fails on a label longer than 63 bytes or a name longer
// than the kernel key holds.
Result<std::vector<uint8_t>> fqdn_key_bytes(const PathPattern& pattern);

// Empty when the policy has no fqdn rules. Fails, naming the rule, when a name's encoding or its
// port ranges do not fit the kernel entry.
Result<std::vector<FqdnName>> compile_fqdn(const policy::WorkloadPolicy& p);

// What identifies a policy's fqdn rules: equal signatures keep their addresses across reloads.
// Empty when the policy has none.
std::string fqdn_signature(const policy::WorkloadPolicy& p);

ztai_fqdn_key fqdn_key(const FqdnName& name, uint32_t policy_id, uint32_t generation);

}  // namespace ztai::enforce
