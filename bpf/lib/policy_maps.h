/* The network policy maps (bpf/abi/policy.h), declared __weak so that every program family that
 * reads or writes them (egress, DNS names, segmentation) includes this header and `bpftool gen
 * object` merges them into one.
 *
 * LIBBPF_PIN_BY_NAME marks the enforcement state: with enforcement.persist the agent pins these
 * maps (with the links of every program using them) and a restarted agent adopts them
 * (agent/kernel/enforcement_pins.h). A map added here with the marking persists the same way;
 * per-agent maps (rings, counters) carry none. */
#ifndef ZTAI_BPF_POLICY_MAPS_H
#define ZTAI_BPF_POLICY_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "../abi/policy.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ztai_policy_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_policy_state __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_CGROUPS);
	__type(key, struct ztai_policy_cgroup_key);
	__type(value, struct ztai_policy_cgroup);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_policy_cgroups __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ZTAI_POLICY_MAX_EGRESS_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ztai_egress_key);
	__type(value, struct ztai_egress_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_egress_prefixes __weak SEC(".maps");

/* cgroup id -> 1: every connect and unconnected send is denied, whatever the policy says. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_QUARANTINED);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_quarantine __weak SEC(".maps");

#endif
