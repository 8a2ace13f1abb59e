// SPDX-License-Identifier: GPL-2.0
/* Plaintext at the C TLS libraries: OpenSSL 1.1/3 (SSL_read/SSL_write and their _ex forms, in
 * libssl or in an executable that links OpenSSL in, such as node) and GnuTLS
 * (gnutls_record_recv/send). The agent attaches these programs per file; none attaches itself.
 *
 * The entry probe keeps the call's arguments by thread; the return probe emits the bytes the call
 * reports having moved (its return value, or the _ex out-argument), so a write retried after
 * SSL_ERROR_WANT_WRITE is emitted once, by the call that succeeds, and a read is copied once the
 * buffer holds the plaintext. The socket the same thread sends on or receives from inside the
 * call names it; a call served from already-buffered bytes uses the socket its session learnt
 * before, and a session over memory BIOs (node) makes no syscall at all: its records carry
 * ZTAI_DATA_NO_SOCKET. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/data.h"
#include "lib/net.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

struct tls_call {
	__u64 session;
	__u64 buf;
	__u64 out_len; /* _ex: where the library stores the byte count; 0 for the int-returning forms */
	__s32 fd;      /* socket of the syscall made inside the call, -1 until one is seen */
	__u8 source;
	__u8 direction;
	__u16 _pad;
};

/* LRU: a thread that dies inside a call leaves its entry behind, to be evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

static __always_inline int tls__enter(void *session, const void *buf, void *out_len, __u8 source, __u8 direction)
{
	if (!data__in_scope())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tls_call call = {
		.session = (__u64)session,
		.buf = (__u64)buf,
		.out_len = (__u64)out_len,
		.fd = -1,
		.source = source,
		.direction = direction,
	};
	bpf_map_update_elem(&tls_calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int tls__exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tls_call *found = bpf_map_lookup_elem(&tls_calls, &tid);

	if (!found)
		return 0;
	struct tls_call call = *found;
	bpf_map_delete_elem(&tls_calls, &tid);

	__u64 bytes;
	if (call.out_len) {
		/* SSL_read_ex/SSL_write_ex return 1 on success and store the count. */
		if ((int)ret != 1 || bpf_probe_read_user(&bytes, sizeof(bytes), (const void *)call.out_len))
			return 0;
	} else {
		/* OpenSSL returns int, GnuTLS ssize_t: <= 0 is an error, a retry or the end. */
		long n = call.source == ZTAI_DATA_OPENSSL ? (long)(int)ret : ret;
		if (n <= 0)
			return 0;
		bytes = n;
	}
	if (bytes > 0xffffffffull)
		bytes = 0xffffffffull;
	data__emit_call(call.source, call.direction, call.session, call.buf, bytes, call.fd);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_openssl_write, void *ssl, const void *buf)
{
	return tls__enter(ssl, buf, NULL, ZTAI_DATA_OPENSSL, ZTAI_DATA_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(tls_openssl_read, void *ssl, void *buf)
{
	return tls__enter(ssl, buf, NULL, ZTAI_DATA_OPENSSL, ZTAI_DATA_INGRESS);
}

SEC("uprobe")
int BPF_KPROBE(tls_openssl_write_ex, void *ssl, const void *buf, size_t num, size_t *written)
{
	return tls__enter(ssl, buf, written, ZTAI_DATA_OPENSSL, ZTAI_DATA_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(tls_openssl_read_ex, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return tls__enter(ssl, buf, readbytes, ZTAI_DATA_OPENSSL, ZTAI_DATA_INGRESS);
}

SEC("uprobe")
int BPF_KPROBE(tls_gnutls_send, void *session, const void *buf)
{
	return tls__enter(session, buf, NULL, ZTAI_DATA_GNUTLS, ZTAI_DATA_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(tls_gnutls_recv, void *session, void *buf)
{
	return tls__enter(session, buf, NULL, ZTAI_DATA_GNUTLS, ZTAI_DATA_INGRESS);
}

/* Every return: the entry kept what kind of call it was. */
SEC("uretprobe")
int BPF_KRETPROBE(tls_return, long ret)
{
	return tls__exit(ret);
}

/* The socket a TLS call reads or writes: the first socket the thread sends on or receives from
 * while inside the call, named by the fd of its syscall (the first argument, from the saved user
 * registers: read, write, readv, writev, sendto, recvfrom, sendmsg, recvmsg and the mmsg forms all
 * take the socket first). The sock:sock_*_length tracepoints fire on socket I/O only, as the
 * syscall returns, where syscall tracepoints ran on every read and write of every process. The fd
 * is kept only when it is this socket's (io_uring's sends, say, are made for another syscall). */
static __always_inline int tls__socket_io(struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &tid);

	if (!call || call->fd >= 0)
		return 0;
	long fd = (int)PT_REGS_PARM1_SYSCALL(task__user_regs());
	if (sk && net__sock_of_fd(fd) == sk)
		call->fd = fd;
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tls_socket_send, struct sock *sk) { return tls__socket_io(sk); }
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tls_socket_recv, struct sock *sk) { return tls__socket_io(sk); }
