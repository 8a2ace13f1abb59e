/* The FQDN maps that the connect hooks (bpf/egress.bpf.c) and the DNS answer reader
 * (bpf/egress_fqdn.bpf.c) share, declared __weak once (bpf/abi/fqdn.h). Every fqdn map is
 * enforcement state (LIBBPF_PIN_BY_NAME, see bpf/lib/policy_maps.h): the programs using them keep
 * running behind pinned links while the agent restarts. */
#ifndef ZTAI_BPF_FQDN_MAPS_H
#define ZTAI_BPF_FQDN_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "../abi/fqdn.h"

/* Least recently used entries go first when it is full: a workload resolving many names can
 * push out its own older addresses (its connects to them fail until it resolves them again). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZTAI_FQDN_MAX_ALLOWED);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, struct ztai_fqdn_allowed_key);
	__type(value, struct ztai_fqdn_allowed);
} ztai_fqdn_allowed __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_FQDN_MAX_SETS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32); /* policy slot */
	__type(value, struct ztai_fqdn_set);
} ztai_fqdn_sets __weak SEC(".maps");

/* The ports an answered address allows a cgroup governed by policy_slot; NULL when no answer
 * allowed it, it expired, or it was learnt under fqdn rules that have changed since. */
static __always_inline struct ztai_egress_value *fqdn__allowed_ports(__u64 cgroup_id, __u32 policy_slot,
								    const __u8 addr[16])
{
	struct ztai_fqdn_allowed_key key = {.cgroup_id = cgroup_id};

	__builtin_memcpy(key.addr, addr, 16);
	struct ztai_fqdn_allowed *a = bpf_map_lookup_elem(&ztai_fqdn_allowed, &key);
	if (!a || a->expires_ns <= bpf_ktime_get_boot_ns())
		return NULL;
	struct ztai_fqdn_set *set = bpf_map_lookup_elem(&ztai_fqdn_sets, &policy_slot);
	if (!set || set->set_id != a->set_id)
		return NULL;
	return &a->ports;
}

#endif
