// SPDX-License-Identifier: GPL-2.0
/* Network enforcement: connect() and unconnected sendmsg() of the cgroups a WorkloadPolicy
 * governs are checked against the policy's allowed prefixes and ports (bpf/abi/policy.h). A denied
 * call fails with EPERM (audit mode: goes through) and leaves a ZTAI_EVENT_POLICY_DENIAL record.
 * New cgroups take their parent's entries at cgroup_mkdir, before the agent has seen them. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/policy.h"
#include "lib/cgroup.h"
#include "lib/emit.h"
#include "lib/fqdn_maps.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "GPL";

#define ZTAI_IPPROTO_TCP 6
#define ZTAI_IPPROTO_UDP 17

/* 1 lets the call through, 0 fails it with EPERM. addr: the destination as IPv6 (IPv4 mapped). */
static __always_inline int egress__decide(struct bpf_sock_addr *ctx, const __u8 addr[16], __u8 hook)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	__u32 generation = policy__generation();
	struct ztai_policy_cgroup *pol = policy__of_cgroup(cgroup_id, generation);
	__u16 port = bpf_ntohs(ctx->user_port);
	__u8 protocol = ctx->protocol;

	if (bpf_map_lookup_elem(&ztai_quarantine, &cgroup_id)) {
		policy__report(pol ? pol->policy_id : 0, generation, ZTAI_POLICY_RULE_QUARANTINE, hook,
			       ZTAI_VERDICT_DENIED, protocol, port, addr);
		return 0;
	}
	if (!pol || !(pol->flags & ZTAI_POLICY_EGRESS))
		return 1;

	struct ztai_egress_key key = {.prefixlen = 32 + 128, .policy_slot = pol->policy_id << 1 | generation};
	__builtin_memcpy(key.addr, addr, 16);
	struct ztai_egress_value *v = bpf_map_lookup_elem(&ztai_egress_prefixes, &key);
	if (v && policy__port_allowed(v, port, protocol))
		return 1;
	/* Addresses the workload resolved through an fqdn rule (bpf/egress_fqdn.bpf.c). */
	v = fqdn__allowed_ports(cgroup_id, key.policy_slot, addr);
	if (v && policy__port_allowed(v, port, protocol))
		return 1;

	bool audit = pol->flags & ZTAI_POLICY_AUDIT;
	policy__report(pol->policy_id, generation, ZTAI_POLICY_RULE_DEFAULT, hook,
		       audit ? ZTAI_VERDICT_AUDITED : ZTAI_VERDICT_DENIED, protocol, port, addr);
	return audit ? 1 : 0;
}

static __always_inline int egress__v4(struct bpf_sock_addr *ctx, __u8 hook)
{
	__u32 words[4] = {0, 0, bpf_htonl(0xffff), ctx->user_ip4};

	return egress__decide(ctx, (const __u8 *)words, hook);
}

static __always_inline int egress__v6(struct bpf_sock_addr *ctx, __u8 hook)
{
	/* One 4-byte load per word: the verifier allows no other access to user_ip6. */
	__u32 words[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};

	return egress__decide(ctx, (const __u8 *)words, hook);
}

SEC("cgroup/connect4")
int egress_connect4(struct bpf_sock_addr *ctx)
{
	return egress__v4(ctx, ZTAI_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int egress_connect6(struct bpf_sock_addr *ctx)
{
	return egress__v6(ctx, ZTAI_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int egress_sendmsg4(struct bpf_sock_addr *ctx)
{
	return egress__v4(ctx, ZTAI_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int egress_sendmsg6(struct bpf_sock_addr *ctx)
{
	return egress__v6(ctx, ZTAI_HOOK_SENDMSG6);
}

static __always_inline void egress__inherit(__u64 parent, __u64 child, __u32 generation)
{
	struct ztai_policy_cgroup_key pkey = {.cgroup_id = parent, .generation = generation};
	struct ztai_policy_cgroup *pol = bpf_map_lookup_elem(&ztai_policy_cgroups, &pkey);

	if (pol) {
		struct ztai_policy_cgroup_key ckey = {.cgroup_id = child, .generation = generation};
		struct ztai_policy_cgroup copy = *pol;
		bpf_map_update_elem(&ztai_policy_cgroups, &ckey, &copy, BPF_NOEXIST);
	}
}

/* A cgroup made under a governed or quarantined one is governed the same way from its first
 * moment: a process moved into it cannot escape the policy before the agent rescans. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(egress_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	if (!cgroup__is_v2(cgrp))
		return 0;
	__u64 child = BPF_CORE_READ(cgrp, kn, id);
	__u64 parent = cgroup__parent_id(cgrp);

	egress__inherit(parent, child, 0);
	egress__inherit(parent, child, 1);
	__u32 *q = bpf_map_lookup_elem(&ztai_quarantine, &parent);
	if (q) {
		__u32 one = 1;
		bpf_map_update_elem(&ztai_quarantine, &child, &one, BPF_NOEXIST);
	}
	return 0;
}

/* cgroup ids are never reused, so entries of removed cgroups would only take up room. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(egress_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	if (!cgroup__is_v2(cgrp))
		return 0;
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	struct ztai_policy_cgroup_key key = {.cgroup_id = id, .generation = 0};

	bpf_map_delete_elem(&ztai_policy_cgroups, &key);
	key.generation = 1;
	bpf_map_delete_elem(&ztai_policy_cgroups, &key);
	bpf_map_delete_elem(&ztai_quarantine, &id);
	return 0;
}
