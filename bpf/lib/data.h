/* Plaintext capture shared by the TLS families: which processes are in scope, the session each
 * call belongs to (and the socket it was tied to), and records cut into ZTAI_DATA_CHUNK pieces on
 * the data ring. */
#ifndef ZTAI_BPF_DATA_H
#define ZTAI_BPF_DATA_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "emit.h"
#include "net.h"

/* cgroup ids whose tasks are captured when ztai_config.data_scope is ZTAI_DATA_SCOPE_CGROUPS. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} data_cgroups __weak SEC(".maps");

static __always_inline bool data__in_scope(void)
{
	if (filter__is_self())
		return false;
	if (ztai_config.data_scope != ZTAI_DATA_SCOPE_CGROUPS)
		return true;
	__u64 cgroup = bpf_get_current_cgroup_id();
	return bpf_map_lookup_elem(&data_cgroups, &cgroup) != NULL;
}

struct data_session_key {
	__u32 tgid;
	__u32 _pad;
	__u64 session;
};

/* What a session learnt once: a TLS read served from bytes already buffered makes no syscall, so
 * the socket found by an earlier call is kept here. pos counts each direction's bytes. */
struct data_session {
	__u64 pos[2];
	__s32 fd;
	__u16 family;
	__u16 lport;
	__u16 rport;
	__u16 _pad[3];
	__u8 laddr[ZTAI_NET_ADDR_LEN];
	__u8 raddr[ZTAI_NET_ADDR_LEN];
};

/* LRU: sessions are never told to end (SSL_free is not hooked); old ones age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct data_session_key);
	__type(value, struct data_session);
} data_sessions __weak SEC(".maps");

static __always_inline struct data_session *data__session(__u64 session, long fd)
{
	struct data_session_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .session = session};
	struct data_session *s = bpf_map_lookup_elem(&data_sessions, &key);

	if (!s) {
		struct data_session fresh = {.fd = -1};
		bpf_map_update_elem(&data_sessions, &key, &fresh, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&data_sessions, &key);
		if (!s)
			return NULL;
	}
	if (s->fd < 0 && fd >= 0) {
		struct sock *sk = net__sock_of_fd(fd);
		if (sk) {
			__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
			s->fd = fd;
			s->family = family;
			if (family == ZTAI_AF_INET || family == ZTAI_AF_INET6) {
				net__sock_local(sk, family, s->laddr, &s->lport);
				net__sock_remote(sk, family, s->raddr, &s->rport);
			}
		}
	}
	return s;
}

struct data_scratch {
	__u8 bytes[sizeof(struct ztai_data_event) + ZTAI_DATA_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct data_scratch);
} data_scratch __weak SEC(".maps");

struct data_chunk_ctx {
	__u64 buf;
	__u64 pos;
	__u32 copy; /* bytes of the call copied: min(call, cap) */
	__u32 call;
};

/* One record of a call; the fixed part was filled before the loop on this CPU (programs run with
 * migration disabled). */
static long data__chunk(__u32 i, struct data_chunk_ctx *c)
{
	__u32 zero = 0;
	struct ztai_data_event *ev = bpf_map_lookup_elem(&data_scratch, &zero);
	__u64 off = (__u64)i * ZTAI_DATA_CHUNK;

	if (!ev || off >= c->copy)
		return 1;
	/* 64-bit, so that the register the clamp bounds is the one that sizes the read. */
	__u64 n = (__u64)c->copy - off;
	if (n > ZTAI_DATA_CHUNK)
		n = ZTAI_DATA_CHUNK;
	ev->call_offset = off;
	ev->stream_pos = c->pos + off;
	if (off + n == c->copy && c->copy < c->call)
		ev->flags |= ZTAI_DATA_TRUNCATED;
	if (bpf_probe_read_user(ev->data, n, (const void *)(c->buf + off))) {
		counters__read_error();
		ev->flags |= ZTAI_DATA_UNREADABLE;
		n = 0;
	}
	ev->data_len = n;
	ev->hdr.size = sizeof(*ev) + n;
	emit__data_copy(ev, sizeof(*ev) + n);
	ev->flags &= ~(ZTAI_DATA_TRUNCATED | ZTAI_DATA_UNREADABLE);
	return 0;
}

static __always_inline void counters__data_truncated(__u64 bytes)
{
	struct ztai_kernel_counters *c = counters__get();
	if (c)
		__sync_fetch_and_add(&c->data_truncated, bytes);
}

/* Emits the bytes a call moved: buf holds them, bytes is the call's result. fd is the socket
 * the call used, -1 when it made no syscall (or it is unknown). peer: the process at the other
 * end when known (pipes), else 0. */
static __always_inline void data__emit_peer_call(__u8 source, __u8 direction, __u64 session, __u64 buf,
						 __u32 bytes, long fd, __u32 peer)
{
	__u32 zero = 0;
	struct ztai_data_event *ev = bpf_map_lookup_elem(&data_scratch, &zero);
	struct data_session *s = data__session(session, fd);

	if (!ev || !s || !bytes)
		return;
	__u32 cap = ztai_config.data_max_call_bytes;
	if (cap > ZTAI_DATA_CALL_CAP)
		cap = ZTAI_DATA_CALL_CAP;
	__u32 copy = bytes < cap ? bytes : cap;

	emit__fill_header(&ev->hdr, ZTAI_EVENT_DATA, sizeof(*ev), bpf_get_current_task_btf());
	ev->conn_id = session;
	ev->call_bytes = bytes;
	ev->fd = s->fd;
	ev->family = s->family;
	ev->source = source;
	ev->direction = direction;
	ev->lport = s->lport;
	ev->rport = s->rport;
	ev->flags = s->fd < 0 ? ZTAI_DATA_NO_SOCKET : 0;
	__builtin_memcpy(ev->laddr, s->laddr, ZTAI_NET_ADDR_LEN);
	__builtin_memcpy(ev->raddr, s->raddr, ZTAI_NET_ADDR_LEN);
	ev->peer_tgid = peer;

	__u8 dir = direction & 1;
	struct data_chunk_ctx c = {.buf = buf, .pos = s->pos[dir], .copy = copy, .call = bytes};
	s->pos[dir] += bytes;
	if (copy < bytes)
		counters__data_truncated(bytes - copy);
	if (copy)
		bpf_loop((copy + ZTAI_DATA_CHUNK - 1) / ZTAI_DATA_CHUNK, data__chunk, &c, 0);
}

static __always_inline void data__emit_call(__u8 source, __u8 direction, __u64 session, __u64 buf, __u32 bytes,
					    long fd)
{
	data__emit_peer_call(source, direction, session, buf, bytes, fd, 0);
}

#endif
