/* What the egress and segmentation programs share when they decide: the policy of a cgroup in the
 * current generation, a port check against an allow entry, and the denial record
 * (bpf/abi/policy.h). The maps are in policy_maps.h. */
#ifndef ZTAI_BPF_POLICY_H
#define ZTAI_BPF_POLICY_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "../abi/policy.h"
#include "emit.h"
#include "policy_maps.h"

/* The generation slot programs read, once per decision. */
static __always_inline __u32 policy__generation(void)
{
	__u32 zero = 0;
	struct ztai_policy_state *state = bpf_map_lookup_elem(&ztai_policy_state, &zero);

	return state ? state->generation & 1 : 0;
}

static __always_inline struct ztai_policy_cgroup *policy__of_cgroup(__u64 cgroup_id, __u32 generation)
{
	struct ztai_policy_cgroup_key key = {.cgroup_id = cgroup_id, .generation = generation};

	return bpf_map_lookup_elem(&ztai_policy_cgroups, &key);
}

static __always_inline bool policy__port_allowed(const struct ztai_egress_value *v, __u16 port, __u8 protocol)
{
	for (__u32 i = 0; i < ZTAI_POLICY_MAX_PORT_RANGES; i++) {
		if (i >= v->count)
			break;
		const struct ztai_port_range *r = &v->ranges[i];
		if (port >= r->first && port <= r->last && (r->protocol == 0 || r->protocol == protocol))
			return true;
	}
	return false;
}

static __always_inline void policy__report(__u32 policy_id, __u32 generation, __u16 rule, __u8 hook, __u8 verdict,
					   __u8 protocol, __u16 port, const __u8 addr[16])
{
	struct ztai_policy_denial_event *ev = emit__control_reserve(sizeof(*ev));

	if (!ev)
		return;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_POLICY_DENIAL, sizeof(*ev), bpf_get_current_task_btf());
	ev->policy_id = policy_id;
	ev->generation = generation;
	ev->rule = rule;
	ev->dport = port;
	ev->hook = hook;
	ev->verdict = verdict;
	ev->protocol = protocol;
	ev->_pad = 0;
	__builtin_memcpy(ev->daddr, addr, 16);
	emit__control_submit(ev);
}

#endif
