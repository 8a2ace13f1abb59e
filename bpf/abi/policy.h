/* Network enforcement in the kernel (bpf/egress.bpf.c): which cgroups a WorkloadPolicy governs,
 * the addresses and ports each policy allows, the quarantine set, and the record of a denial. The
 * agent writes the maps; connect() and sendmsg() are decided without a round trip.
 *
 * Policy changes swap atomically: every policy entry carries a generation slot (0 or 1). The agent
 * fills the idle slot, then flips ztai_policy_state.generation with one map write, then clears the
 * old slot. A program reads the generation once, so one connect never sees half of two versions.
 *
 * IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), so an IPv4 connect and a
 * dual-stack socket's connect to ::ffff:a.b.c.d match the same entries. */
#ifndef ZTAI_ABI_POLICY_H
#define ZTAI_ABI_POLICY_H

#include "events.h"

/* Map layouts below; bumped on any change. Pinned maps live under a directory named after it, so
 * a new agent never adopts maps of another layout. */
#define ZTAI_POLICY_ABI_VERSION 3

#define ZTAI_POLICY_MAX_CGROUPS 65536
#define ZTAI_POLICY_MAX_EGRESS_PREFIXES 131072 /* both generations */
#define ZTAI_POLICY_MAX_QUARANTINED 4096
/* Port ranges that can apply to one address prefix of one policy (its rules and the wider rules
 * containing it); the agent refuses a policy needing more rather than load it weaker. */
#define ZTAI_POLICY_MAX_PORT_RANGES 16

/* Rule numbers reported with a denial: an index into the policy's egress.allow, or one of these. */
enum ztai_policy_rule {
	ZTAI_POLICY_RULE_DEFAULT = 0xffff,    /* nothing allowed it: egress.default is deny */
	ZTAI_POLICY_RULE_QUARANTINE = 0xfffe, /* the workload is quarantined */
	ZTAI_POLICY_RULE_INGRESS = 0xfffd,    /* the receiver's ingress.default is deny, nothing allowed the caller */
};

enum ztai_policy_flags {
	ZTAI_POLICY_AUDIT = 1 << 0,  /* report what would be denied, deny nothing */
	ZTAI_POLICY_EGRESS = 1 << 1, /* egress is filtered: what no entry allows is denied */
	ZTAI_POLICY_INGRESS = 1 << 2, /* ingress is filtered at the callers' connect (segmentation) */
};

/* Single entry of ztai_policy_state (an array of one). */
struct ztai_policy_state {
	__u32 generation; /* the slot programs read: 0 or 1 */
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_policy_state) == 8, "ztai_policy_state layout");

/* Key of ztai_policy_cgroups: a cgroup v2 id in one generation slot. */
struct ztai_policy_cgroup_key {
	__u64 cgroup_id;
	__u32 generation;
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_policy_cgroup_key) == 16, "ztai_policy_cgroup_key layout");

struct ztai_policy_cgroup {
	__u32 policy_id; /* the agent's number for the policy, in this generation */
	__u32 flags;     /* enum ztai_policy_flags */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_policy_cgroup) == 8, "ztai_policy_cgroup layout");

/* Key of ztai_egress_prefixes (LPM trie): prefixlen counts the bits after it, so the policy and
 * generation (32 bits) are always matched whole: prefixlen = 32 + 96 + n for an IPv4 /n,
 * 32 + n for an IPv6 /n. */
struct ztai_egress_key {
	__u32 prefixlen;
	__u32 policy_slot; /* policy_id << 1 | generation, host order (always matched whole) */
	__u8 addr[16];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_egress_key) == 24, "ztai_egress_key layout");

/* protocol: 0 any, 6 TCP, 17 UDP (IPPROTO_*). Ports in host byte order, inclusive. */
struct ztai_port_range {
	__u16 first;
	__u16 last;
	__u8 protocol;
	__u8 _pad;
	__u16 rule; /* index in egress.allow, reported in audit records */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_port_range) == 8, "ztai_port_range layout");

/* What the longest matching prefix allows: its own rules' ports and those of every wider prefix
 * of the same policy, merged by the agent so one lookup decides. */
struct ztai_egress_value {
	__u32 count;
	__u32 _pad;
	struct ztai_port_range ranges[ZTAI_POLICY_MAX_PORT_RANGES];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_egress_value) == 136, "ztai_egress_value layout");

/* Where a denial happened. */
enum ztai_policy_hook {
	ZTAI_HOOK_CONNECT4 = 1,
	ZTAI_HOOK_CONNECT6 = 2,
	ZTAI_HOOK_SENDMSG4 = 3,
	ZTAI_HOOK_SENDMSG6 = 4,
};

enum ztai_policy_verdict {
	ZTAI_VERDICT_DENIED = 1,  /* the call failed with EPERM */
	ZTAI_VERDICT_AUDITED = 2, /* audit mode: allowed, enforce would have denied it */
};

/* ZTAI_EVENT_POLICY_DENIAL, on the control ring. Header: the calling thread. */
struct ztai_policy_denial_event {
	struct ztai_event_header hdr;
	__u32 policy_id;  /* 0 with ZTAI_POLICY_RULE_QUARANTINE when no policy governs the workload */
	__u32 generation;
	__u16 rule;       /* enum ztai_policy_rule or an egress.allow index */
	__u16 dport;      /* host byte order */
	__u8 hook;        /* enum ztai_policy_hook */
	__u8 verdict;     /* enum ztai_policy_verdict */
	__u8 protocol;    /* IPPROTO_TCP, IPPROTO_UDP */
	__u8 _pad;
	__u8 daddr[16];   /* IPv4 as ::ffff:a.b.c.d */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_policy_denial_event) == 80, "ztai_policy_denial_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_policy_denial_event, daddr) == 64, "denial.daddr offset");

/* Segmentation (bpf/segment.bpf.c): ingress rules are enforced at the caller's connect. Sockets
 * bound in a cgroup below the enforcement root are listed by address at bind (post_bind4/6) and
 * removed when they are released, so a connect finds the workload that owns its destination. */
#define ZTAI_POLICY_MAX_ENDPOINTS 65536
#define ZTAI_POLICY_MAX_INGRESS 16384 /* (receiving policy, calling policy) pairs, both generations */

/* Key of ztai_endpoints. A wildcard bind is stored as ::ffff:0.0.0.0 (IPv4) or :: (IPv6). */
struct ztai_endpoint_key {
	__u64 netns;     /* network namespace cookie: 127.0.0.1:80 of two namespaces are two endpoints */
	__u8 addr[16];   /* IPv4 as ::ffff:a.b.c.d */
	__u16 port;      /* host byte order */
	__u8 protocol;   /* IPPROTO_TCP, IPPROTO_UDP */
	__u8 _pad[5];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_endpoint_key) == 32, "ztai_endpoint_key layout");

struct ztai_endpoint {
	__u64 cgroup_id; /* the binder's cgroup */
	__u64 cookie;    /* socket cookie: only the socket that bound it removes the entry */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_endpoint) == 16, "ztai_endpoint layout");

/* A connect to another network namespace on this node (pod to pod, container to container over a
 * bridge or veth) names an address, not a namespace. The agent lists the addresses of every network
 * namespace on the node in ztai_local_addrs (key: 16 bytes, IPv4 mapped; value: the namespace's
 * cookie, or ZTAI_LOCAL_ADDR_SHARED when several namespaces hold it, so none can be told apart).
 * Loopback and link-local addresses are not listed: they never leave their namespace or link.
 * A bind in a namespace the agent has not read yet is noted in ztai_netns_pending (cookie ->
 * struct ztai_netns_binder) so the agent reads that namespace at once instead of at its next scan;
 * ztai_netns_known holds the cookies it has read. */
#define ZTAI_POLICY_MAX_LOCAL_ADDRS 65536
#define ZTAI_POLICY_MAX_NETNS 8192
#define ZTAI_POLICY_MAX_NETNS_PENDING 1024
#define ZTAI_LOCAL_ADDR_SHARED 0 /* never a namespace cookie: cookies start at 1 */

struct ztai_netns_binder {
	__u32 tgid; /* the process and thread that bound: /proc/<tgid>/task/<tid>/ns/net names the namespace */
	__u32 tid;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_netns_binder) == 8, "ztai_netns_binder layout");

/* Pods of other nodes (Kubernetes): a connect to a pod IP that no namespace of this node holds is
 * checked against the policy governing that pod, on every port (its listeners are not known
 * here). The agent fills ztai_remote_pods from a cluster-wide pod watch, per generation slot like
 * the other policy entries; the value is a struct ztai_policy_cgroup. */
#define ZTAI_POLICY_MAX_REMOTE_PODS 131072 /* both generations */

struct ztai_remote_pod_key {
	__u8 addr[16];     /* IPv4 as ::ffff:a.b.c.d */
	__u32 generation;  /* slot 0 or 1 */
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_remote_pod_key) == 24, "ztai_remote_pod_key layout");

/* Counters of ztai_segment_counters (a per-CPU array). */
enum ztai_segment_counter {
	ZTAI_SEGMENT_ENDPOINTS_FULL = 0, /* binds not listed: ztai_endpoints was full (those listeners are not segmented) */
	ZTAI_SEGMENT_SHARED_ADDR = 1,    /* connects to an address several namespaces hold: not checked */
	ZTAI_SEGMENT_PENDING_FULL = 2,   /* binds in unread namespaces not noted: the agent reads them at its next scan */
	ZTAI_SEGMENT_COUNTERS = 3,
};

/* Key of ztai_ingress_allow: which callers a receiving policy lets in; the value is a
 * struct ztai_egress_value whose ranges carry the ingress.allow index as rule. */
struct ztai_ingress_key {
	__u32 policy_slot; /* receiving policy_id << 1 | generation */
	__u32 from_policy; /* the calling cgroup's policy_id in the same generation */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_ingress_key) == 8, "ztai_ingress_key layout");

#endif
