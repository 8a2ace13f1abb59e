// SPDX-License-Identifier: GPL-2.0
/* DNS over UDP at the packet level: queries as they are queued for sending to port 53
 * (net_dev_queue), answers as they are received from port 53 (netif_receive_skb), both for the
 * sockets a process asked from (dns_clients, filled by the network sensor when a UDP socket
 * connects or sends to port 53, whatever call sends the query afterwards: send, sendmmsg, write).
 * Receiving runs in softirq context, so records carry the asking process's identity from that
 * map. Packets are used because UDP copies a linear datagram to the caller without passing any
 * tracepoint; DNS over TCP is not captured (its payload sits in page fragments this program
 * cannot map). Userspace parses the message. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/emit.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

#define DNS_IP_MF 0x2000
#define DNS_IP_OFFSET 0x1fff

struct dns_scratch {
	__u8 bytes[sizeof(struct ztai_dns_event) + ZTAI_DNS_MAX_DATA];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");

/* Reads the IP header at data; returns the UDP header's address, NULL for anything else (other
 * protocols, IPv6 extension headers, non-first fragments). The record's source is the local side:
 * the packet's destination for an answer, its source for a query. */
static __always_inline unsigned char *dns__ip(unsigned char *data, struct ztai_dns_event *ev, bool *fragmented,
					      bool query)
{
	__u8 version = 0;

	if (bpf_probe_read_kernel(&version, 1, data))
		return NULL;
	version >>= 4;
	if (version == 4) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), data) || ip.protocol != IPPROTO_UDP)
			return NULL;
		__u16 frag = bpf_ntohs(ip.frag_off);
		if (frag & DNS_IP_OFFSET)
			return NULL;
		*fragmented = frag & DNS_IP_MF;
		ev->family = ZTAI_AF_INET;
		__builtin_memcpy(ev->saddr, query ? &ip.saddr : &ip.daddr, 4);
		__builtin_memcpy(ev->daddr, query ? &ip.daddr : &ip.saddr, 4);
		return data + ip.ihl * 4;
	}
	if (version == 6) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), data) || ip6.nexthdr != IPPROTO_UDP)
			return NULL;
		ev->family = ZTAI_AF_INET6;
		__builtin_memcpy(ev->saddr, query ? &ip6.saddr : &ip6.daddr, 16);
		__builtin_memcpy(ev->daddr, query ? &ip6.daddr : &ip6.saddr, 16);
		return data + sizeof(ip6);
	}
	return NULL;
}

/* l3: the packet's IP header. */
static __always_inline int dns__capture(struct sk_buff *skb, unsigned char *l3, bool query)
{
	__u32 zero = 0;
	struct ztai_dns_event *ev = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!ev)
		return 0;
	bool fragmented = false;
	unsigned char *uh = dns__ip(l3, ev, &fragmented, query);
	if (!uh)
		return 0;
	struct udphdr udp;
	if (bpf_probe_read_kernel(&udp, sizeof(udp), uh) ||
	    (query ? udp.dest : udp.source) != bpf_htons(ZTAI_DNS_PORT))
		return 0;
	__u16 local_port = bpf_ntohs(query ? udp.source : udp.dest);
	__u32 key = net__dns_client_key(ev->family, local_port);
	struct ztai_event_header *owner = bpf_map_lookup_elem(&dns_clients, &key);
	__u16 type = query ? ZTAI_EVENT_DNS_QUERY : ZTAI_EVENT_DNS;
	if (!owner || !net__wanted(type))
		return 0;

	ev->proto = IPPROTO_UDP;
	ev->flags = fragmented ? ZTAI_DNS_TRUNCATED : 0;
	ev->sport = local_port;
	ev->dport = ZTAI_DNS_PORT;
	__u16 udp_len = bpf_ntohs(udp.len);
	__u32 msg_len = udp_len > sizeof(udp) ? udp_len - sizeof(udp) : 0;
	ev->msg_len = msg_len;

	unsigned char *msg = uh + sizeof(udp);
	unsigned char *linear_end = BPF_CORE_READ(skb, data) + (BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len));
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
	net__fill_header_from(&ev->hdr, type, size, owner);
	if (size > sizeof(struct dns_scratch))
		return 0;
	emit__data_copy(ev, size);
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(dns_send, struct sk_buff *skb)
{
	return dns__capture(skb, BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header), true);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(dns_receive, struct sk_buff *skb)
{
	return dns__capture(skb, BPF_CORE_READ(skb, data), false);
}
