/* FQDN egress rules in the kernel (bpf/egress_fqdn.bpf.c): the DNS answers a governed workload
 * receives from a configured resolver, to a query it sent, allow the answered addresses before the
 * workload can read the answer. egress__decide (bpf/egress.bpf.c) consults the allowed addresses
 * after the prefix trie.
 *
 * Names are matched in a longest-prefix trie of reversed wire names: the labels of a name in
 * reverse order, each with its length byte, then a 0 byte. "api.example.com" is
 * [3]com[7]example[3]api[0]; the pattern "*.example.com" is the prefix [3]com[7]example, which
 * matches every name below example.com at label boundaries and nothing else. Names are compared
 * byte for byte (lower case), so no hash collision can let another name in.
 *
 * These maps are pinned with the policy maps (enforcement.persist): a layout change here bumps
 * ZTAI_POLICY_ABI_VERSION (bpf/abi/policy.h). */
#ifndef ZTAI_ABI_FQDN_H
#define ZTAI_ABI_FQDN_H

#include "policy.h"

/* Bytes of a reversed wire name in a trie key: the trie holds at most 256 bytes of data, 4 of
 * them the policy slot. Longer names (253..255 wire bytes) match no rule; longer patterns are
 * refused by the agent. */
#define ZTAI_FQDN_NAME_BYTES 252
#define ZTAI_FQDN_MAX_NAMES 16384            /* trie entries, both generations */
#define ZTAI_FQDN_MAX_ALLOWED 65536          /* (cgroup, address) entries learnt from answers */
#define ZTAI_FQDN_MAX_PENDING 16384          /* queries awaiting their answer */
#define ZTAI_FQDN_MAX_RESOLVERS 64
#define ZTAI_FQDN_MAX_SETS 8192              /* policy slots with fqdn rules */
#define ZTAI_FQDN_MAX_ANSWERS 32             /* answer records read per message */
#define ZTAI_FQDN_MAX_MESSAGE 512            /* bytes of a DNS message read; the rest is ignored */

/* Key of ztai_fqdn_names (LPM trie): prefixlen counts bits after it; the policy slot (32 bits)
 * is always matched whole. */
struct ztai_fqdn_key {
	__u32 prefixlen;
	__u32 policy_slot; /* policy_id << 1 | generation */
	__u8 name[ZTAI_FQDN_NAME_BYTES];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fqdn_key) == 260, "ztai_fqdn_key layout");

/* Value of ztai_fqdn_names: a struct ztai_egress_value, the ports of the rules whose pattern the
 * name matches (the agent merges the wider wildcards into each entry, like the prefix trie). */

/* ztai_fqdn_sets: policy slot -> the id of its fqdn rule set. Equal rule sets (same policy, same
 * fqdn rules, same indices) keep their id across reloads, so a generation flip keeps the addresses
 * learnt so far; a changed set gets a new id and its old addresses stop counting at once. */
struct ztai_fqdn_set {
	__u32 set_id;
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fqdn_set) == 8, "ztai_fqdn_set layout");

/* Key of ztai_fqdn_allowed (LRU hash): an address a cgroup resolved. */
struct ztai_fqdn_allowed_key {
	__u64 cgroup_id;
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fqdn_allowed_key) == 24, "ztai_fqdn_allowed_key layout");

struct ztai_fqdn_allowed {
	__u64 expires_ns; /* CLOCK_BOOTTIME: answer time + max(TTL, min TTL) + grace */
	__u32 set_id;
	__u32 _pad;
	struct ztai_egress_value ports;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fqdn_allowed) == 152, "ztai_fqdn_allowed layout");

/* Key of ztai_dns_resolvers: a resolver the agent trusts (agent config; default: the nameservers
 * of /etc/resolv.conf, port 53). */
struct ztai_dns_resolver_key {
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u16 port;    /* host byte order */
	__u8 _pad[6];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_dns_resolver_key) == 24, "ztai_dns_resolver_key layout");

/* ztai_dns_pending (LRU hash): a query a workload's socket sent to a configured resolver. */
struct ztai_dns_pending_key {
	__u64 socket_cookie;
	__u16 query_id;
	__u8 _pad[6];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_dns_pending_key) == 16, "ztai_dns_pending_key layout");

struct ztai_dns_pending {
	__u64 name_hash; /* FNV-1a of the lower-case question name; the answer must echo it */
	__u64 sent_ns;
	struct ztai_dns_resolver_key resolver;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_dns_pending) == 40, "ztai_dns_pending layout");

/* Single entry of ztai_fqdn_config, written by the agent. */
struct ztai_fqdn_config {
	__u64 min_ttl_ns;   /* an answer's TTL counts as at least this */
	__u64 grace_ns;     /* added after the TTL, for connections pooled from a cached answer */
	__u64 pending_ns;   /* a query unanswered for longer is forgotten */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fqdn_config) == 24, "ztai_fqdn_config layout");

/* ztai_fqdn_counters (per-CPU array of __u64): what happened to DNS messages. */
enum ztai_fqdn_counter {
	ZTAI_FQDN_QUERIES = 0,        /* queries recorded */
	ZTAI_FQDN_ANSWERS = 1,        /* answers that matched their query */
	ZTAI_FQDN_ALLOWED = 2,        /* addresses allowed (or refreshed) */
	ZTAI_FQDN_FORGED = 3,         /* answers from a wrong source or to no query sent: allow nothing */
	ZTAI_FQDN_UNMATCHED = 4,      /* answered names no fqdn rule of the workload's policy matches */
	ZTAI_FQDN_MALFORMED = 5,      /* messages that could not be read (counted, let through) */
	ZTAI_FQDN_COUNTERS = 6,
};

#endif
