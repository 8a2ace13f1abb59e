// SPDX-License-Identifier: GPL-2.0
/* Network syscalls: connect, accept, bind, listen, sendto/sendmsg with a destination, and the end
 * of each TCP connection with its byte counters. Per-syscall tracepoints, so only these calls
 * pay for the sensor.
 *
 * A TCP connect is followed through sock:inet_sock_set_state. A non-blocking connect returns
 * EINPROGRESS; its real outcome is the SYN_SENT -> ESTABLISHED or -> CLOSE transition, which
 * can happen before the call returns (loopback completes the handshake while the caller still
 * holds the socket lock) or long after, from softirq context. The connect record goes out once
 * the outcome is known, carrying the caller's identity kept in net_conns. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/emit.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

#define ZTAI_ECONNABORTED 103

/* Arguments of a network syscall in progress, from its enter to its exit tracepoint. */
struct net_call {
	__u64 uaddr; /* the caller's sockaddr */
	__u64 sk;
	__s32 fd;
	__u32 addrlen;
};

/* LRU: a thread that dies inside a call leaves its entry behind, to be evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct net_call);
} net_calls SEC(".maps");

enum net_conn_state {
	NET_CONN_CONNECTING = 1 << 0, /* inside connect(), or waiting for a non-blocking outcome */
	NET_CONN_OUTCOME = 1 << 1,    /* the handshake ended before connect() returned */
	NET_CONN_PENDING = 1 << 2,    /* connect() returned EINPROGRESS: the transition emits */
};

/* A TCP connection a process made or accepted: the record to send when it changes state, with
 * the identity of the process, since state changes run in any context. */
struct net_conn {
	struct ztai_net_event ev;
	__s32 outcome;
	__u32 state; /* enum net_conn_state */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64); /* struct sock * */
	__type(value, struct net_conn);
} net_conns SEC(".maps");

static __always_inline void net__save_call(long fd, __u64 uaddr, __u32 addrlen, struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_call call = {.uaddr = uaddr, .sk = (__u64)sk, .fd = fd, .addrlen = addrlen};

	if (bpf_map_update_elem(&net_calls, &tid, &call, BPF_ANY))
		counters__net_untracked();
}

static __always_inline bool net__take_call(struct net_call *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct net_call *call = bpf_map_lookup_elem(&net_calls, &tid);

	if (!call)
		return false;
	*out = *call;
	bpf_map_delete_elem(&net_calls, &tid);
	return true;
}

static __always_inline bool net__is_inet(__u16 family)
{
	return family == ZTAI_AF_INET || family == ZTAI_AF_INET6;
}

static __always_inline void net__start(struct ztai_net_event *ev, __u16 type, long res, long fd, struct sock *sk)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	emit__fill_header(&ev->hdr, type, sizeof(*ev), bpf_get_current_task_btf());
	ev->res = res;
	ev->fd = fd;
	if (sk) {
		ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		ev->proto = BPF_CORE_READ(sk, sk_protocol);
	}
}

/* ---- connect ---- */

SEC("tracepoint/syscalls/sys_enter_connect")
int net_enter_connect(struct ztai_sys_enter_ctx *ctx)
{
	if (filter__is_self())
		return 0;
	long fd = ctx->args[0];
	struct sock *sk = net__sock_of_fd(fd);

	net__save_call(fd, ctx->args[1], ctx->args[2], sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!net__is_inet(family))
		return 0;

	/* A program polling a pending connect by calling connect() again (EALREADY) does not start
	 * a new attempt: the first one's record still waits for the outcome. */
	__u64 key = (__u64)sk;
	struct net_conn *pending = bpf_map_lookup_elem(&net_conns, &key);
	if (pending && (pending->state & NET_CONN_PENDING))
		return 0;
	struct net_conn conn;
	net__start(&conn.ev, ZTAI_EVENT_NET_CONNECT, 0, fd, sk);
	conn.outcome = 0;
	conn.state = NET_CONN_CONNECTING;
	if (bpf_map_update_elem(&net_conns, &key, &conn, BPF_ANY))
		counters__net_untracked();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int net_exit_connect(struct ztai_sys_exit_ctx *ctx)
{
	struct net_call call;
	if (!net__take_call(&call))
		return 0;
	long ret = ctx->ret;
	struct sock *sk = (struct sock *)call.sk;
	struct net_conn *conn = NULL;
	if (sk)
		conn = bpf_map_lookup_elem(&net_conns, &call.sk);
	if (conn && (conn->state & NET_CONN_PENDING))
		return 0; /* a repeated connect() on a pending attempt */

	struct ztai_net_event local;
	struct ztai_net_event *ev = &local;
	if (conn)
		ev = &conn->ev;
	else
		net__start(ev, ZTAI_EVENT_NET_CONNECT, ret, call.fd, sk);

	__u8 daddr[ZTAI_NET_ADDR_LEN] = {};
	__u16 dport = 0;
	int family = net__read_sockaddr((void *)call.uaddr, call.addrlen, daddr, &dport);
	if (family < 0)
		counters__read_error();
	if (family == 0 || (family < 0 && !conn)) {
		/* not an internet address (AF_UNIX, AF_UNSPEC disconnect): not this sensor's */
		if (conn && !(conn->state & NET_CONN_PENDING))
			bpf_map_delete_elem(&net_conns, &call.sk);
		return 0;
	}
	if (family < 0) {
		ev->flags |= ZTAI_NET_ADDR_UNREADABLE;
	} else {
		ev->family = family;
		ev->dport = dport;
		__builtin_memcpy(ev->daddr, daddr, sizeof(daddr));
	}
	/* The source comes from the last state change when there was one: a refused connect has
	 * released its port by now. */
	if (sk && ev->sport == 0)
		net__sock_local(sk, ev->family, ev->saddr, &ev->sport);

	if (!conn) {
		net__emit(ev);
		net__remember_dns_client(ev);
		return 0;
	}
	if (ret == -ZTAI_EINPROGRESS) {
		ev->flags |= ZTAI_NET_NONBLOCKING;
		if (!(conn->state & NET_CONN_OUTCOME)) {
			conn->state |= NET_CONN_PENDING;
			return 0;
		}
		ret = conn->outcome;
	}
	ev->res = ret;
	ev->hdr.ktime_ns = bpf_ktime_get_boot_ns();
	net__emit(ev);
	if (ret < 0 && BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_CLOSE)
		bpf_map_delete_elem(&net_conns, &call.sk);
	else
		conn->state = 0;
	return 0;
}

/* ---- TCP state: connect outcomes and connection ends ---- */

static __always_inline void net__conn_addresses(struct net_conn *conn, struct ztai_sock_state_ctx *ctx)
{
	struct ztai_net_event *ev = &conn->ev;
	if (!ctx->sport)
		return;
	ev->family = ctx->family;
	ev->sport = ctx->sport;
	ev->dport = ctx->dport;
	if (ctx->family == ZTAI_AF_INET6) {
		__builtin_memcpy(ev->saddr, ctx->saddr_v6, 16);
		__builtin_memcpy(ev->daddr, ctx->daddr_v6, 16);
	} else {
		__builtin_memcpy(ev->saddr, ctx->saddr, 4);
		__builtin_memcpy(ev->daddr, ctx->daddr, 4);
	}
}

SEC("tracepoint/sock/inet_sock_set_state")
int net_sock_state(struct ztai_sock_state_ctx *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	__u64 key = (__u64)ctx->skaddr;
	struct net_conn *conn = bpf_map_lookup_elem(&net_conns, &key);
	if (!conn)
		return 0;
	struct sock *sk = (struct sock *)ctx->skaddr;

	if (conn->state & NET_CONN_CONNECTING) {
		net__conn_addresses(conn, ctx);
		if (ctx->oldstate != TCP_SYN_SENT || (ctx->newstate != TCP_ESTABLISHED && ctx->newstate != TCP_CLOSE))
			return 0;
		int outcome = 0;
		if (ctx->newstate == TCP_CLOSE) {
			outcome = -BPF_CORE_READ(sk, sk_err);
			if (!outcome)
				outcome = -ZTAI_ECONNABORTED; /* what connect() itself reports then */
		}
		if (!(conn->state & NET_CONN_PENDING)) {
			conn->outcome = outcome;
			conn->state |= NET_CONN_OUTCOME;
			return 0;
		}
		struct ztai_net_event *ev = &conn->ev;
		ev->res = outcome;
		net__fill_header_from(&ev->hdr, ZTAI_EVENT_NET_CONNECT, sizeof(*ev), &ev->hdr);
		net__emit(ev);
		if (outcome < 0)
			bpf_map_delete_elem(&net_conns, &key);
		else
			conn->state = 0;
		return 0;
	}

	if (ctx->newstate != TCP_CLOSE)
		return 0;
	struct ztai_net_event ev = conn->ev;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	net__fill_header_from(&ev.hdr, ZTAI_EVENT_NET_CLOSE, sizeof(ev), &conn->ev.hdr);
	ev.res = 0;
	/* Payload bytes: bytes_sent counts retransmissions again; bytes_received counts the peer's
	 * FIN as one byte of sequence space, and tcp_fin() marks its arrival with SOCK_DONE. */
	ev.bytes_out = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	ev.bytes_in = BPF_CORE_READ(tp, bytes_received);
	if (ev.bytes_in && (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)))
		ev.bytes_in--;
	ev.flags &= ~ZTAI_NET_NONBLOCKING;
	net__emit(&ev);
	bpf_map_delete_elem(&net_conns, &key);
	return 0;
}

/* ---- accept ---- */

static __always_inline int net__accepted(long ret)
{
	if (ret < 0 || filter__is_self())
		return 0;
	struct sock *sk = net__sock_of_fd(ret);
	if (!sk)
		return 0;
	struct net_conn conn;
	net__start(&conn.ev, ZTAI_EVENT_NET_ACCEPT, ret, ret, sk);
	if (!net__is_inet(conn.ev.family))
		return 0;
	/* The peer initiated the flow: it is the source. */
	net__sock_remote(sk, conn.ev.family, conn.ev.saddr, &conn.ev.sport);
	net__sock_local(sk, conn.ev.family, conn.ev.daddr, &conn.ev.dport);
	net__emit(&conn.ev);
	if (conn.ev.proto != IPPROTO_TCP)
		return 0;
	conn.ev.flags |= ZTAI_NET_INBOUND;
	conn.outcome = 0;
	conn.state = 0;
	__u64 key = (__u64)sk;
	if (bpf_map_update_elem(&net_conns, &key, &conn, BPF_ANY))
		counters__net_untracked();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_exit_accept(struct ztai_sys_exit_ctx *ctx)
{
	return net__accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_exit_accept4(struct ztai_sys_exit_ctx *ctx)
{
	return net__accepted(ctx->ret);
}

/* ---- bind, listen ---- */

SEC("tracepoint/syscalls/sys_enter_bind")
int net_enter_bind(struct ztai_sys_enter_ctx *ctx)
{
	if (filter__is_self())
		return 0;
	net__save_call(ctx->args[0], ctx->args[1], ctx->args[2], net__sock_of_fd(ctx->args[0]));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int net_exit_bind(struct ztai_sys_exit_ctx *ctx)
{
	struct net_call call;
	if (!net__take_call(&call))
		return 0;
	struct sock *sk = (struct sock *)call.sk;
	struct ztai_net_event ev;
	net__start(&ev, ZTAI_EVENT_NET_BIND, ctx->ret, call.fd, sk);
	/* The requested local address: on failure the sock has none. */
	int family = net__read_sockaddr((void *)call.uaddr, call.addrlen, ev.saddr, &ev.sport);
	if (family < 0)
		counters__read_error();
	if (family == 0 || (family < 0 && !net__is_inet(ev.family)))
		return 0;
	if (family < 0)
		ev.flags |= ZTAI_NET_ADDR_UNREADABLE;
	else
		ev.family = family;
	/* bind to port 0 picks one: report the port the call got */
	if (ev.res == 0 && ev.sport == 0 && sk)
		ev.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	net__emit(&ev);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int net_enter_listen(struct ztai_sys_enter_ctx *ctx)
{
	if (filter__is_self())
		return 0;
	struct sock *sk = net__sock_of_fd(ctx->args[0]);
	if (sk)
		net__save_call(ctx->args[0], 0, 0, sk);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int net_exit_listen(struct ztai_sys_exit_ctx *ctx)
{
	struct net_call call;
	if (!net__take_call(&call))
		return 0;
	struct sock *sk = (struct sock *)call.sk;
	struct ztai_net_event ev;
	net__start(&ev, ZTAI_EVENT_NET_LISTEN, ctx->ret, call.fd, sk);
	if (!net__is_inet(ev.family))
		return 0;
	net__sock_local(sk, ev.family, ev.saddr, &ev.sport);
	net__emit(&ev);
	return 0;
}

/* ---- sendto, sendmsg with a destination (connected sockets were reported at connect) ---- */

SEC("tracepoint/syscalls/sys_enter_sendto")
int net_enter_sendto(struct ztai_sys_enter_ctx *ctx)
{
	if (!ctx->args[4] || filter__is_self())
		return 0;
	net__save_call(ctx->args[0], ctx->args[4], ctx->args[5], net__sock_of_fd(ctx->args[0]));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int net_enter_sendmsg(struct ztai_sys_enter_ctx *ctx)
{
	if (filter__is_self())
		return 0;
	struct user_msghdr msg;
	if (bpf_probe_read_user(&msg, sizeof(msg), (void *)ctx->args[1])) {
		counters__read_error();
		return 0;
	}
	if (!msg.msg_name)
		return 0;
	net__save_call(ctx->args[0], (__u64)msg.msg_name, msg.msg_namelen, net__sock_of_fd(ctx->args[0]));
	return 0;
}

static __always_inline int net__sent(long ret, __u16 type)
{
	struct net_call call;
	if (!net__take_call(&call))
		return 0;
	struct sock *sk = (struct sock *)call.sk;
	struct ztai_net_event ev;
	net__start(&ev, type, ret, call.fd, sk);
	int family = net__read_sockaddr((void *)call.uaddr, call.addrlen, ev.daddr, &ev.dport);
	if (family <= 0) {
		if (family < 0)
			counters__read_error();
		return 0;
	}
	ev.family = family;
	if (sk)
		net__sock_local(sk, family, ev.saddr, &ev.sport);
	net__emit(&ev);
	net__remember_dns_client(&ev);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int net_exit_sendto(struct ztai_sys_exit_ctx *ctx)
{
	return net__sent(ctx->ret, ZTAI_EVENT_NET_SENDTO);
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int net_exit_sendmsg(struct ztai_sys_exit_ctx *ctx)
{
	return net__sent(ctx->ret, ZTAI_EVENT_NET_SENDMSG);
}
