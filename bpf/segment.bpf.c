// SPDX-License-Identifier: GPL-2.0
/* Segmentation: a WorkloadPolicy's ingress rules, enforced at the caller's connect. Sockets bound
 * below the enforcement root are listed by (network namespace, address, port, protocol) with the
 * binder's cgroup; a connect or unconnected send to a listed endpoint whose owner's policy has
 * ingress.default: deny goes through only when the caller's policy is allowed on that port.
 * A destination in another network namespace of this node is found through the addresses the agent
 * lists per namespace (ztai_local_addrs), so pods and containers of one node are segmented too; a
 * pod of another node is found by its address in ztai_remote_pods (Kubernetes).
 * Denials are ZTAI_EVENT_POLICY_DENIAL records naming the receiving policy (bpf/abi/policy.h).
 * Its maps are enforcement state, pinned with the policy maps under enforcement.persist. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi/policy.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_ENDPOINTS);
	__type(key, struct ztai_endpoint_key);
	__type(value, struct ztai_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_INGRESS);
	__type(key, struct ztai_ingress_key);
	__type(value, struct ztai_egress_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_ingress_allow SEC(".maps");

/* socket cookie -> its endpoint: sock_release cannot read a socket's address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_ENDPOINTS);
	__type(key, __u64);
	__type(value, struct ztai_endpoint_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_endpoint_sockets SEC(".maps");

/* Addresses of the node's network namespaces, filled by the agent (bpf/abi/policy.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_LOCAL_ADDRS);
	__type(key, __u8[16]);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_local_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_NETNS);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_netns_known SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_NETNS_PENDING);
	__type(key, __u64);
	__type(value, struct ztai_netns_binder);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_netns_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_POLICY_MAX_REMOTE_PODS);
	__type(key, struct ztai_remote_pod_key);
	__type(value, struct ztai_policy_cgroup);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_remote_pods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZTAI_SEGMENT_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ztai_segment_counters SEC(".maps");

static __always_inline void segment__count(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&ztai_segment_counters, &counter);

	if (n)
		*n += 1;
}

static __always_inline void segment__record(struct bpf_sock *ctx, const __u32 words[4])
{
	struct ztai_endpoint_key key = {.netns = bpf_get_netns_cookie(ctx),
					.port = (__u16)ctx->src_port,
					.protocol = (__u8)ctx->protocol};
	struct ztai_endpoint ep = {.cgroup_id = bpf_get_current_cgroup_id(), .cookie = bpf_get_socket_cookie(ctx)};

	__builtin_memcpy(key.addr, words, 16);
	if (bpf_map_update_elem(&ztai_endpoints, &key, &ep, BPF_ANY) != 0 ||
	    bpf_map_update_elem(&ztai_endpoint_sockets, &ep.cookie, &key, BPF_ANY) != 0)
		segment__count(ZTAI_SEGMENT_ENDPOINTS_FULL);
	if (!bpf_map_lookup_elem(&ztai_netns_known, &key.netns)) {
		__u64 id = bpf_get_current_pid_tgid();
		struct ztai_netns_binder binder = {.tgid = id >> 32, .tid = (__u32)id};
		long err = bpf_map_update_elem(&ztai_netns_pending, &key.netns, &binder, BPF_NOEXIST);
		if (err != 0 && err != -17 /* EEXIST: already noted */)
			segment__count(ZTAI_SEGMENT_PENDING_FULL);
	}
}

/* Never refuses a bind: these only take note of who listens where. */
SEC("cgroup/post_bind4")
int seg_bind4(struct bpf_sock *ctx)
{
	__u32 words[4] = {0, 0, bpf_htonl(0xffff), ctx->src_ip4};

	segment__record(ctx, words);
	return 1;
}

SEC("cgroup/post_bind6")
int seg_bind6(struct bpf_sock *ctx)
{
	__u32 words[4] = {ctx->src_ip6[0], ctx->src_ip6[1], ctx->src_ip6[2], ctx->src_ip6[3]};

	segment__record(ctx, words);
	return 1;
}

/* The socket goes: its entry goes, unless another socket has bound the endpoint since
 * (SO_REUSEPORT, or a rebind after this one's close raced ahead). */
SEC("cgroup/sock_release")
int seg_release(struct bpf_sock *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct ztai_endpoint_key *key = bpf_map_lookup_elem(&ztai_endpoint_sockets, &cookie);

	if (!key)
		return 1;
	struct ztai_endpoint *ep = bpf_map_lookup_elem(&ztai_endpoints, key);
	if (ep && ep->cookie == cookie)
		bpf_map_delete_elem(&ztai_endpoints, key);
	bpf_map_delete_elem(&ztai_endpoint_sockets, &cookie);
	return 1;
}

static __always_inline bool segment__loopback(const __u32 w[4])
{
	if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff))
		return (bpf_ntohl(w[3]) >> 24) == 127;
	return w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == bpf_htonl(1);
}

/* The network namespace a destination lives in: the caller's for loopback, else the one whose
 * interface holds the address; 0 when none on this node does (*local false) or when several do. */
static __always_inline __u64 segment__netns_of(const __u32 w[4], __u64 caller_netns, bool *local)
{
	*local = true;
	if (segment__loopback(w))
		return caller_netns;
	__u64 *netns = bpf_map_lookup_elem(&ztai_local_addrs, w);
	if (!netns) {
		*local = false;
		return 0;
	}
	if (*netns == ZTAI_LOCAL_ADDR_SHARED)
		segment__count(ZTAI_SEGMENT_SHARED_ADDR);
	return *netns;
}

/* The endpoint a connect reaches: a socket bound to that address in the caller's namespace, else,
 * in the namespace that holds the address, one bound to it or a wildcard bind of the family (IPv4
 * also reaches a dual-stack `::` listener). *local says whether the address is on this node. */
static __always_inline struct ztai_endpoint *segment__find(struct ztai_endpoint_key *key, __u32 w[4], bool *local)
{
	struct ztai_endpoint *ep = bpf_map_lookup_elem(&ztai_endpoints, key);

	*local = true;
	if (ep)
		return ep;
	__u64 netns = segment__netns_of(w, key->netns, local);
	if (!netns)
		return NULL;
	if (netns != key->netns) {
		key->netns = netns;
		ep = bpf_map_lookup_elem(&ztai_endpoints, key);
		if (ep)
			return ep;
	}
	bool v4 = w[2] == bpf_htonl(0xffff);
	__builtin_memset(key->addr, 0, 16);
	if (v4) {
		__u32 any4[4] = {0, 0, bpf_htonl(0xffff), 0};
		__builtin_memcpy(key->addr, any4, 16);
		ep = bpf_map_lookup_elem(&ztai_endpoints, key);
		if (ep)
			return ep;
		__builtin_memset(key->addr, 0, 16);
	}
	return bpf_map_lookup_elem(&ztai_endpoints, key);
}

/* The policy of the workload a connect reaches, when it filters ingress: the owner of a listener
 * of this node, or a pod of another node. NULL: nothing to check. */
static __always_inline struct ztai_policy_cgroup *segment__receiver(struct ztai_endpoint_key *key, __u32 w[4],
								     __u64 caller, __u32 generation)
{
	bool local;
	struct ztai_endpoint *ep = segment__find(key, w, &local);
	struct ztai_policy_cgroup *owner = NULL;

	if (ep) {
		/* A workload always reaches its own listeners. */
		if (ep->cgroup_id == caller)
			return NULL;
		owner = policy__of_cgroup(ep->cgroup_id, generation);
	} else if (!local) {
		struct ztai_remote_pod_key rkey = {.generation = generation};
		__builtin_memcpy(rkey.addr, w, 16);
		owner = bpf_map_lookup_elem(&ztai_remote_pods, &rkey);
	}
	if (!owner || !(owner->flags & ZTAI_POLICY_INGRESS))
		return NULL;
	return owner;
}

static __always_inline int segment__decide(struct bpf_sock_addr *ctx, __u32 w[4], __u8 hook)
{
	__u16 port = bpf_ntohs(ctx->user_port);
	__u8 protocol = (__u8)ctx->protocol;
	struct ztai_endpoint_key key = {.netns = bpf_get_netns_cookie(ctx), .port = port, .protocol = protocol};
	__u8 daddr[16];

	__builtin_memcpy(daddr, w, 16);
	__builtin_memcpy(key.addr, w, 16);
	__u64 caller = bpf_get_current_cgroup_id();
	__u32 generation = policy__generation();
	struct ztai_policy_cgroup *owner = segment__receiver(&key, w, caller, generation);
	if (!owner)
		return 1;
	struct ztai_policy_cgroup *from = policy__of_cgroup(caller, generation);
	if (from) {
		struct ztai_ingress_key ikey = {.policy_slot = owner->policy_id << 1 | generation,
						.from_policy = from->policy_id};
		struct ztai_egress_value *v = bpf_map_lookup_elem(&ztai_ingress_allow, &ikey);
		if (v && policy__port_allowed(v, port, protocol))
			return 1;
	}
	bool audit = owner->flags & ZTAI_POLICY_AUDIT;
	policy__report(owner->policy_id, generation, ZTAI_POLICY_RULE_INGRESS, hook,
		       audit ? ZTAI_VERDICT_AUDITED : ZTAI_VERDICT_DENIED, protocol, port, daddr);
	return audit ? 1 : 0;
}

static __always_inline int segment__v4(struct bpf_sock_addr *ctx, __u8 hook)
{
	__u32 words[4] = {0, 0, bpf_htonl(0xffff), ctx->user_ip4};

	return segment__decide(ctx, words, hook);
}

static __always_inline int segment__v6(struct bpf_sock_addr *ctx, __u8 hook)
{
	/* One 4-byte load per word: the verifier allows no other access to user_ip6. */
	__u32 words[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};

	return segment__decide(ctx, words, hook);
}

SEC("cgroup/connect4")
int seg_connect4(struct bpf_sock_addr *ctx)
{
	return segment__v4(ctx, ZTAI_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int seg_connect6(struct bpf_sock_addr *ctx)
{
	return segment__v6(ctx, ZTAI_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int seg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return segment__v4(ctx, ZTAI_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int seg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return segment__v6(ctx, ZTAI_HOOK_SENDMSG6);
}

/* Listeners that existed before the agent attached (post_bind never saw them): the agent runs
 * these socket iterators once in each network namespace it reads for the first time, and they
 * list every TCP listener and bound UDP socket like a bind would have, without replacing an entry a
 * bind wrote since. Each listed socket's cookie goes to the reader, which counts them. */
static __always_inline void segment__seed(struct bpf_iter_meta *meta, struct sock_common *skc, __u8 protocol)
{
	__u16 family = BPF_CORE_READ(skc, skc_family);
	struct ztai_endpoint_key key = {.netns = BPF_CORE_READ(skc, skc_net.net, net_cookie),
					.port = BPF_CORE_READ(skc, skc_num),
					.protocol = protocol};
	__u32 words[4] = {0, 0, bpf_htonl(0xffff), 0};

	if (key.port == 0)
		return;
	if (family == 2 /* AF_INET */) {
		words[3] = BPF_CORE_READ(skc, skc_rcv_saddr);
	} else if (family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO(&words, skc, skc_v6_rcv_saddr.in6_u.u6_addr32);
	} else {
		return;
	}
	__builtin_memcpy(key.addr, words, 16);
	struct ztai_endpoint ep = {.cgroup_id = BPF_CORE_READ((struct sock *)skc, sk_cgrp_data.cgroup, kn, id),
				   .cookie = bpf_get_socket_cookie(skc)};
	if (bpf_map_update_elem(&ztai_endpoints, &key, &ep, BPF_NOEXIST) != 0)
		return;
	if (bpf_map_update_elem(&ztai_endpoint_sockets, &ep.cookie, &key, BPF_ANY) != 0) {
		bpf_map_delete_elem(&ztai_endpoints, &key);
		segment__count(ZTAI_SEGMENT_ENDPOINTS_FULL);
		return;
	}
	bpf_seq_write(meta->seq, &ep.cookie, sizeof(ep.cookie));
}

SEC("iter/tcp")
int seg_seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc && BPF_CORE_READ(skc, skc_state) == TCP_LISTEN)
		segment__seed(ctx->meta, skc, IPPROTO_TCP);
	return 0;
}

SEC("iter/udp")
int seg_seed_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;

	if (udp)
		segment__seed(ctx->meta, (struct sock_common *)udp, IPPROTO_UDP);
	return 0;
}
