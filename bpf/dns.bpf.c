// SPDX-License-Identifier: GPL-2.0
/* DNS answers as the asking process receives them. skb_copy_datagram_iovec fires in the
 * receiver's context whenever a socket copies packet data to user memory, whatever the call
 * (recvfrom, recvmsg, recvmmsg, read, io_uring), for UDP and TCP alike. Only data from port 53
 * is kept; userspace parses it (agent/protocols/dns). Queries are not captured: every answer
 * repeats its question. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/emit.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

#define DNS_PORT 53

struct dns_scratch {
	__u8 bytes[sizeof(struct ztai_dns_event) + ZTAI_DNS_MAX_DATA];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");

/* A TCP read copies a segment in pieces (a resolver reads the 2-byte length, then the rest):
 * the last segment each thread reported, so a segment goes out once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);   /* tid */
	__type(value, __u64); /* struct sk_buff * */
} dns_last_segment SEC(".maps");

/* Reads the IP header at the skb's network header; false for anything but IPv4/IPv6. */
static __always_inline bool dns__ip(const struct sk_buff *skb, unsigned char *head, struct ztai_dns_event *ev)
{
	unsigned char *nh = head + BPF_CORE_READ(skb, network_header);
	__u8 version = 0;

	if (bpf_probe_read_kernel(&version, 1, nh))
		return false;
	version >>= 4;
	if (version == 4) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), nh))
			return false;
		ev->family = ZTAI_AF_INET;
		ev->proto = ip.protocol;
		/* the packet comes from the server: it is the destination of the lookup */
		__builtin_memcpy(ev->daddr, &ip.saddr, 4);
		__builtin_memcpy(ev->saddr, &ip.daddr, 4);
		return true;
	}
	if (version == 6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), nh))
			return false;
		ev->family = ZTAI_AF_INET6;
		ev->proto = ip6.nexthdr; /* extension headers are not followed */
		__builtin_memcpy(ev->daddr, &ip6.saddr, 16);
		__builtin_memcpy(ev->saddr, &ip6.daddr, 16);
		return true;
	}
	return false;
}

SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(dns_recv, const struct sk_buff *skb, int len)
{
	if (filter__is_self())
		return 0;
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *th = head + BPF_CORE_READ(skb, transport_header);
	__be16 ports[2];
	if (bpf_probe_read_kernel(ports, sizeof(ports), th) || ports[0] != bpf_htons(DNS_PORT))
		return 0;

	__u32 zero = 0;
	struct ztai_dns_event *ev = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!ev)
		return 0;
	__builtin_memset(ev, 0, sizeof(*ev));
	if (!dns__ip(skb, head, ev))
		return 0;
	ev->sport = bpf_ntohs(ports[1]);
	ev->dport = DNS_PORT;

	unsigned char *data = BPF_CORE_READ(skb, data);
	unsigned char *linear_end = data + (BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len));
	unsigned char *msg;
	__u32 msg_len;
	if (ev->proto == IPPROTO_UDP) {
		struct udphdr udp;
		if (bpf_probe_read_kernel(&udp, sizeof(udp), th))
			return 0;
		msg = th + sizeof(udp);
		msg_len = bpf_ntohs(udp.len);
		msg_len = msg_len > sizeof(udp) ? msg_len - sizeof(udp) : 0;
	} else if (ev->proto == IPPROTO_TCP) {
		/* the TCP header is pulled by now: data is the segment's payload */
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u64 addr = (__u64)skb;
		__u64 *last = bpf_map_lookup_elem(&dns_last_segment, &tid);
		if (last && *last == addr)
			return 0;
		bpf_map_update_elem(&dns_last_segment, &tid, &addr, BPF_ANY);
		msg = data;
		msg_len = BPF_CORE_READ(skb, len);
	} else {
		return 0;
	}
	ev->msg_len = msg_len;

	__u64 n = msg_len;
	if (msg + n > linear_end) {
		n = msg < linear_end ? linear_end - msg : 0;
		ev->flags |= ZTAI_DNS_TRUNCATED;
	}
	if (n > ZTAI_DNS_MAX_DATA) {
		n = ZTAI_DNS_MAX_DATA;
		ev->flags |= ZTAI_DNS_TRUNCATED;
	}
	if (n && bpf_probe_read_kernel(ev->data, n, msg)) {
		counters__read_error();
		return 0;
	}
	ev->data_len = n;
	__u64 size = sizeof(*ev) + n;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_DNS, size, bpf_get_current_task_btf());
	if (size > sizeof(struct dns_scratch))
		return 0;
	emit__data_copy(ev, size);
	return 0;
}
