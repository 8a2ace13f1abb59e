// SPDX-License-Identifier: GPL-2.0
/* FQDN egress rules (bpf/abi/fqdn.h). At cgroup_skb/egress a governed workload's DNS query to a
 * configured resolver is recorded by socket, query id and question; at cgroup_skb/ingress, which
 * runs before the datagram is queued to the socket, the answer to it is read: when it comes from
 * the resolver the query went to and echoes the question, and the question matches an fqdn rule
 * of the workload's policy, every A/AAAA address of the answer section is allowed to that cgroup
 * until the record's TTL (at least the configured minimum) plus a grace period. The policy judges
 * the name the workload asked: the addresses of a CNAME chain in a trusted resolver's answer are
 * what that name resolves to, whoever hosts them. Both programs let every packet through; DNS over
 * TCP allows nothing. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi/fqdn.h"
#include "lib/fqdn_maps.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "GPL";

#define FQDN_ETH_P_IP 0x0800
#define FQDN_ETH_P_IPV6 0x86DD
#define FQDN_IPPROTO_UDP 17
#define FQDN_DNS_HEADER 12
#define FQDN_MSG_MASK (ZTAI_FQDN_MAX_MESSAGE - 1)
#define FQDN_MAX_WIRE_NAME 255
#define FQDN_TYPE_A 1
#define FQDN_TYPE_AAAA 28
#define FQDN_CLASS_IN 1
#define FQDN_FNV_OFFSET 0xcbf29ce484222325ULL
#define FQDN_FNV_PRIME 0x100000001b3ULL

_Static_assert((ZTAI_FQDN_MAX_MESSAGE & FQDN_MSG_MASK) == 0, "the message buffer is a power of two");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ZTAI_FQDN_MAX_NAMES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ztai_fqdn_key);
	__type(value, struct ztai_egress_value);
} ztai_fqdn_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_FQDN_MAX_RESOLVERS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, struct ztai_dns_resolver_key);
	__type(value, __u32);
} ztai_dns_resolvers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZTAI_FQDN_MAX_PENDING);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, struct ztai_dns_pending_key);
	__type(value, struct ztai_dns_pending);
} ztai_dns_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, struct ztai_fqdn_config);
} ztai_fqdn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZTAI_FQDN_COUNTERS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, __u64);
} ztai_fqdn_counters SEC(".maps");

/* A DNS message being read. One per CPU and direction: an ingress program runs in softirq and may
 * interrupt an egress one on the same CPU. Pinned like the other fqdn maps (bpf/lib/fqdn_maps.h):
 * a program behind a pinned link keeps using it after the agent exits. */
struct fqdn_scratch {
	__u8 msg[ZTAI_FQDN_MAX_MESSAGE];
	struct ztai_fqdn_key key;
	struct ztai_fqdn_allowed allowed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, struct fqdn_scratch);
} ztai_fqdn_scratch SEC(".maps");

static __always_inline void fqdn__count(__u32 counter)
{
	__u64 *c = bpf_map_lookup_elem(&ztai_fqdn_counters, &counter);

	if (c)
		*c += 1;
}

static __always_inline __u8 fqdn__lower(__u8 b)
{
	return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
}

/* The UDP datagram of a packet: its peer (the packet's destination at egress, source at ingress)
 * and where the DNS message starts. */
struct fqdn_datagram {
	struct ztai_dns_resolver_key peer;
	__u32 msg_off;
	__u32 msg_len;
};

static __always_inline bool fqdn__datagram(struct __sk_buff *skb, bool ingress, struct fqdn_datagram *d)
{
	__u32 l4;

	__builtin_memset(d, 0, sizeof(*d));
	if (skb->protocol == bpf_htons(FQDN_ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != FQDN_IPPROTO_UDP)
			return false;
		/* Answers are reassembled before they reach a socket; a fragment here is not DNS. */
		if (bpf_ntohs(ip.frag_off) & 0x1fff)
			return false;
		d->peer.addr[10] = d->peer.addr[11] = 0xff;
		__builtin_memcpy(&d->peer.addr[12], ingress ? &ip.saddr : &ip.daddr, 4);
		l4 = ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(FQDN_ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) || ip6.nexthdr != FQDN_IPPROTO_UDP)
			return false;
		__builtin_memcpy(d->peer.addr, ingress ? &ip6.saddr : &ip6.daddr, 16);
		l4 = sizeof(ip6);
	} else {
		return false;
	}
	struct udphdr udp;
	if (bpf_skb_load_bytes(skb, l4 & 0xff, &udp, sizeof(udp)))
		return false;
	d->peer.port = bpf_ntohs(ingress ? udp.source : udp.dest);
	__u16 len = bpf_ntohs(udp.len);
	if (len < sizeof(udp) + FQDN_DNS_HEADER)
		return false;
	d->msg_off = (l4 & 0xff) + sizeof(udp);
	d->msg_len = len - sizeof(udp);
	return true;
}

static __always_inline bool fqdn__same_peer(const struct ztai_dns_resolver_key *a,
					    const struct ztai_dns_resolver_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* Copies the message (up to ZTAI_FQDN_MAX_MESSAGE bytes) into s->msg; its length there. */
static __always_inline __u32 fqdn__load(struct __sk_buff *skb, const struct fqdn_datagram *d, struct fqdn_scratch *s)
{
	__u32 n = d->msg_len;

	if (n > ZTAI_FQDN_MAX_MESSAGE)
		n = ZTAI_FQDN_MAX_MESSAGE;
	if (n < FQDN_DNS_HEADER)
		return 0;
	if (bpf_skb_load_bytes(skb, d->msg_off, s->msg, n))
		return 0;
	return n;
}

static __always_inline __u16 fqdn__u16(const __u8 *msg, __u32 pos)
{
	return (__u16)msg[pos & FQDN_MSG_MASK] << 8 | msg[(pos + 1) & FQDN_MSG_MASK];
}

/* The question name: its wire length without the final 0 byte, and its hash. */
struct fqdn_name_walk {
	const __u8 *msg;
	__u32 msg_len;
	__u32 next_label; /* offset in the name of the next length byte */
	__u32 wire_len;   /* set when the final 0 byte is reached */
	__u64 hash;
	bool done;
};

static long fqdn__name_byte(__u32 k, struct fqdn_name_walk *w)
{
	__u32 pos = FQDN_DNS_HEADER + k;

	if (pos >= w->msg_len)
		return 1;
	__u8 b = fqdn__lower(w->msg[pos & FQDN_MSG_MASK]);
	if (k == w->next_label) {
		if (b == 0) {
			w->wire_len = k;
			w->done = true;
			return 1;
		}
		if (b > 63) /* a compression pointer or reserved form: no question name is written so */
			return 1;
		w->next_label = k + b + 1;
	}
	w->hash = (w->hash ^ b) * FQDN_FNV_PRIME;
	return 0;
}

/* Reads the question name; false when the message has no readable single question. */
static __always_inline bool fqdn__question(const __u8 *msg, __u32 msg_len, __u32 *wire_len, __u64 *hash)
{
	if (fqdn__u16(msg, 4) != 1) /* QDCOUNT */
		return false;
	struct fqdn_name_walk w = {.msg = msg, .msg_len = msg_len, .hash = FQDN_FNV_OFFSET};
	bpf_loop(FQDN_MAX_WIRE_NAME, fqdn__name_byte, &w, 0);
	if (!w.done || w.wire_len == 0)
		return false;
	*wire_len = w.wire_len;
	*hash = w.hash;
	return true;
}

/* The question name with its labels in reverse order (bpf/abi/fqdn.h): byte k of the wire name,
 * in the label starting at s with length l, goes to wire_len - 2s - l - 1 + k. */
struct fqdn_reverse {
	const __u8 *msg;
	__u8 *out;
	__u32 wire_len;
	__u32 label;  /* start of the current label */
	__u32 length; /* its length byte */
};

static long fqdn__reverse_byte(__u32 k, struct fqdn_reverse *r)
{
	__u8 b = fqdn__lower(r->msg[(FQDN_DNS_HEADER + k) & FQDN_MSG_MASK]);

	if (k == r->label + r->length + 1 || k == 0) {
		r->label = k;
		r->length = b;
	}
	__u32 at = r->wire_len + k - 2 * r->label - r->length - 1;
	if (at >= ZTAI_FQDN_NAME_BYTES)
		return 1;
	r->out[at] = b;
	return 0;
}

static __always_inline struct ztai_egress_value *fqdn__match(struct fqdn_scratch *s, __u32 policy_slot,
							    __u32 wire_len)
{
	if (wire_len >= ZTAI_FQDN_NAME_BYTES)
		return NULL;
	struct fqdn_reverse r = {.msg = s->msg, .out = s->key.name, .wire_len = wire_len};
	if (bpf_loop(wire_len, fqdn__reverse_byte, &r, 0) != wire_len)
		return NULL;
	s->key.name[wire_len & 0xff] = 0;
	s->key.policy_slot = policy_slot;
	s->key.prefixlen = 32 + 8 * (wire_len + 1);
	struct ztai_egress_value *v = bpf_map_lookup_elem(&ztai_fqdn_names, &s->key);
	/* The bare suffix of a wildcard has an entry with no ports, so the wildcard misses it. */
	return v && v->count ? v : NULL;
}

/* The fqdn rule set of a cgroup's policy in the current generation, and the policy's slot; NULL
 * when it has no fqdn rules. */
static __always_inline struct ztai_fqdn_set *fqdn__set_of(__u64 cgroup_id, __u32 *slot)
{
	__u32 generation = policy__generation();
	struct ztai_policy_cgroup *pol = policy__of_cgroup(cgroup_id, generation);

	if (!pol)
		return NULL;
	*slot = pol->policy_id << 1 | generation;
	return bpf_map_lookup_elem(&ztai_fqdn_sets, slot);
}

SEC("cgroup_skb/egress")
int fqdn_query(struct __sk_buff *skb)
{
	struct fqdn_datagram d;

	if (!fqdn__datagram(skb, false, &d) || !bpf_map_lookup_elem(&ztai_dns_resolvers, &d.peer))
		return 1;
	/* Only workloads whose policy has fqdn rules: nobody else's queries need remembering. */
	__u32 slot = 0;
	if (!fqdn__set_of(bpf_skb_cgroup_id(skb), &slot))
		return 1;

	__u32 dir = 0;
	struct fqdn_scratch *s = bpf_map_lookup_elem(&ztai_fqdn_scratch, &dir);
	if (!s)
		return 1;
	__u32 n = fqdn__load(skb, &d, s);
	__u32 wire_len = 0;
	struct ztai_dns_pending p = {.resolver = d.peer, .sent_ns = bpf_ktime_get_boot_ns()};
	if (!n || (s->msg[2] & 0x80) || !fqdn__question(s->msg, n, &wire_len, &p.name_hash)) {
		fqdn__count(ZTAI_FQDN_MALFORMED);
		return 1;
	}
	struct ztai_dns_pending_key key = {.socket_cookie = bpf_get_socket_cookie(skb), .query_id = fqdn__u16(s->msg, 0)};
	bpf_map_update_elem(&ztai_dns_pending, &key, &p, BPF_ANY);
	fqdn__count(ZTAI_FQDN_QUERIES);
	return 1;
}

/* Walks the answer section, one record per call, allowing A and AAAA addresses. */
struct fqdn_answers {
	struct fqdn_scratch *s;
	__u64 cgroup_id;
	__u64 now_ns;
	__u64 min_ttl_ns;
	__u64 grace_ns;
	__u32 msg_len;
	__u32 pos;
};

static long fqdn__answer(__u32 index, struct fqdn_answers *a)
{
	struct fqdn_scratch *s = a->s;
	__u32 pos = a->pos;

	/* The owner name: usually a pointer to the question; otherwise labels up to a pointer or 0. */
	for (int i = 0; i < 16; i++) {
		if (pos >= a->msg_len)
			return 1;
		__u8 b = s->msg[pos & FQDN_MSG_MASK];
		if ((b & 0xc0) == 0xc0) {
			pos += 2;
			break;
		}
		pos += b + 1;
		if (b == 0)
			break;
		if (i == 15)
			return 1;
	}
	if (pos + 10 > a->msg_len)
		return 1;
	__u16 type = fqdn__u16(s->msg, pos);
	__u16 class = fqdn__u16(s->msg, pos + 2);
	__u32 ttl = (__u32)fqdn__u16(s->msg, pos + 4) << 16 | fqdn__u16(s->msg, pos + 6);
	__u16 rdlength = fqdn__u16(s->msg, pos + 8);
	pos += 10;
	if (pos + rdlength > a->msg_len)
		return 1;
	a->pos = pos + rdlength;
	if (class != FQDN_CLASS_IN || !((type == FQDN_TYPE_A && rdlength == 4) || (type == FQDN_TYPE_AAAA && rdlength == 16)))
		return 0;

	struct ztai_fqdn_allowed_key key = {.cgroup_id = a->cgroup_id};
	if (type == FQDN_TYPE_A) {
		key.addr[10] = key.addr[11] = 0xff;
		for (int i = 0; i < 4; i++)
			key.addr[12 + i] = s->msg[(pos + i) & FQDN_MSG_MASK];
	} else {
		for (int i = 0; i < 16; i++)
			key.addr[i] = s->msg[(pos + i) & FQDN_MSG_MASK];
	}
	__u64 ttl_ns = (__u64)ttl * 1000000000ULL;
	if (ttl_ns < a->min_ttl_ns)
		ttl_ns = a->min_ttl_ns;
	s->allowed.expires_ns = a->now_ns + ttl_ns + a->grace_ns;
	/* Another answer for the same address replaces the ports: a later name of a narrower rule
	 * can only make it stricter until that name is resolved again. */
	bpf_map_update_elem(&ztai_fqdn_allowed, &key, &s->allowed, BPF_ANY);
	fqdn__count(ZTAI_FQDN_ALLOWED);
	return 0;
}

SEC("cgroup_skb/ingress")
int fqdn_answer(struct __sk_buff *skb)
{
	struct fqdn_datagram d;

	if (!fqdn__datagram(skb, true, &d))
		return 1;
	__u8 header[FQDN_DNS_HEADER];
	if (bpf_skb_load_bytes(skb, d.msg_off, header, sizeof(header)))
		return 1;
	/* A response (QR) to one question. */
	if (!(header[2] & 0x80) || header[4] != 0 || header[5] != 1)
		return 1;
	struct ztai_dns_pending_key pkey = {.socket_cookie = bpf_get_socket_cookie(skb),
					    .query_id = (__u16)header[0] << 8 | header[1]};
	struct ztai_dns_pending *pending = bpf_map_lookup_elem(&ztai_dns_pending, &pkey);
	if (!pending) {
		if (bpf_map_lookup_elem(&ztai_dns_resolvers, &d.peer))
			fqdn__count(ZTAI_FQDN_FORGED); /* a resolver answering what nobody here asked */
		return 1;
	}
	__u32 zero = 0;
	struct ztai_fqdn_config *cfg = bpf_map_lookup_elem(&ztai_fqdn_config, &zero);
	if (!cfg)
		return 1;
	__u64 now = bpf_ktime_get_boot_ns();
	if (!fqdn__same_peer(&pending->resolver, &d.peer) ||
	    (cfg->pending_ns && now - pending->sent_ns > cfg->pending_ns)) {
		fqdn__count(ZTAI_FQDN_FORGED);
		return 1;
	}

	__u32 in = 1;
	struct fqdn_scratch *s = bpf_map_lookup_elem(&ztai_fqdn_scratch, &in);
	if (!s)
		return 1;
	__u32 n = fqdn__load(skb, &d, s);
	__u32 wire_len = 0;
	__u64 hash = 0;
	if (!n || !fqdn__question(s->msg, n, &wire_len, &hash)) {
		fqdn__count(ZTAI_FQDN_MALFORMED);
		return 1;
	}
	if (hash != pending->name_hash) {
		fqdn__count(ZTAI_FQDN_FORGED);
		return 1;
	}
	/* One answer per query: a second one (a spoofing race) finds nothing pending. */
	bpf_map_delete_elem(&ztai_dns_pending, &pkey);
	fqdn__count(ZTAI_FQDN_ANSWERS);
	if (s->msg[3] & 0x0f) /* RCODE: no addresses */
		return 1;

	__u64 cgroup_id = bpf_skb_cgroup_id(skb);
	__u32 slot = 0;
	struct ztai_fqdn_set *set = fqdn__set_of(cgroup_id, &slot);
	if (!set)
		return 1;
	struct ztai_egress_value *ports = fqdn__match(s, slot, wire_len);
	if (!ports) {
		fqdn__count(ZTAI_FQDN_UNMATCHED);
		return 1;
	}
	s->allowed.set_id = set->set_id;
	s->allowed._pad = 0;
	__builtin_memcpy(&s->allowed.ports, ports, sizeof(*ports));

	struct fqdn_answers a = {
		.s = s,
		.cgroup_id = cgroup_id,
		.now_ns = now,
		.min_ttl_ns = cfg->min_ttl_ns,
		.grace_ns = cfg->grace_ns,
		.msg_len = n,
		.pos = FQDN_DNS_HEADER + wire_len + 1 + 4, /* past the question's name, type and class */
	};
	__u16 ancount = fqdn__u16(s->msg, 6);
	if (ancount > ZTAI_FQDN_MAX_ANSWERS)
		ancount = ZTAI_FQDN_MAX_ANSWERS;
	bpf_loop(ancount, fqdn__answer, &a, 0);
	return 1;
}
