// SPDX-License-Identifier: GPL-2.0
/* Plaintext at Go's crypto/tls: (*Conn).Write and (*Conn).Read. A uretprobe rewrites the return
 * address on the goroutine's stack, which Go moves when it grows, so it crashes Go programs: the
 * agent attaches tls_go_return to each RET instruction of the two functions instead (found by
 * disassembly). A goroutine can move to another thread between entry and return, so a call is
 * keyed by its goroutine: the g pointer, which the register ABI (Go 1.17+) keeps in R14.
 *
 * Arguments (register ABI): RAX = c *Conn, RBX/RCX = b's pointer and length; at return RAX = n.
 * The socket is read from c: c.conn (a net.Conn interface, first field) holds a *net.TCPConn whose
 * first word is its *netFD, whose poll.FD has Sysfd after the 16-byte fdMutex; these layouts
 * have not changed since Go 1.9. A conn of another type (a wrapped conn) yields an fd that is not
 * a socket, and the record carries ZTAI_DATA_NO_SOCKET. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/data.h"

char LICENSE[] SEC("license") = "GPL";

struct go_tls_call {
	__u64 conn;
	__u64 buf;
	__u8 direction;
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* g */
	__type(value, struct go_tls_call);
} go_tls_calls SEC(".maps");

static __always_inline int go__enter(struct pt_regs *ctx, __u8 direction)
{
	if (!data__in_scope())
		return 0;
	__u64 g = ctx->r14;
	struct go_tls_call call = {.conn = ctx->ax, .buf = ctx->bx, .direction = direction};
	bpf_map_update_elem(&go_tls_calls, &g, &call, BPF_ANY);
	return 0;
}

static __always_inline long go__conn_fd(__u64 conn)
{
	__u64 iface_data = 0, netfd = 0;
	__s64 fd = -1;

	if (bpf_probe_read_user(&iface_data, sizeof(iface_data), (const void *)(conn + 8)) || !iface_data ||
	    bpf_probe_read_user(&netfd, sizeof(netfd), (const void *)iface_data) || !netfd ||
	    bpf_probe_read_user(&fd, sizeof(fd), (const void *)(netfd + 16)))
		return -1;
	return fd;
}

SEC("uprobe")
int tls_go_write(struct pt_regs *ctx)
{
	return go__enter(ctx, ZTAI_DATA_EGRESS);
}

SEC("uprobe")
int tls_go_read(struct pt_regs *ctx)
{
	return go__enter(ctx, ZTAI_DATA_INGRESS);
}

SEC("uprobe")
int tls_go_return(struct pt_regs *ctx)
{
	__u64 g = ctx->r14;
	struct go_tls_call *found = bpf_map_lookup_elem(&go_tls_calls, &g);

	if (!found)
		return 0;
	struct go_tls_call call = *found;
	bpf_map_delete_elem(&go_tls_calls, &g);
	long n = (long)ctx->ax;
	if (n <= 0)
		return 0;
	if (n > 0xffffffffl)
		n = 0xffffffffl;
	/* The session learns its socket on the first call; later calls skip the walk. */
	struct data_session_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .session = call.conn};
	struct data_session *known = bpf_map_lookup_elem(&data_sessions, &key);
	long fd = known && known->fd >= 0 ? -1 : go__conn_fd(call.conn);
	data__emit_call(ZTAI_DATA_GO_TLS, call.direction, call.conn, call.buf, n, fd);
	return 0;
}
