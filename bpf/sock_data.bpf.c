// SPDX-License-Identifier: GPL-2.0
/* Plaintext at the read and write syscalls: on TCP sockets of selected ports (local model servers
 * such as Ollama on 11434 or vLLM on 8000, spoken to over plain HTTP), and on the stdio pipes (fd
 * 0 and 1) of selected processes (MCP stdio servers, lib/stdio.h). The bytes of read, write,
 * sendto, recvfrom, readv and writev (up to SOCK_MAX_IOV iovecs) are copied at the syscall's
 * exit with the count it returned; the exit program alone decides, from the arguments still in
 * the saved user registers, so a call that is not captured costs one program run, not an entry
 * and an exit with a per-thread map between them. Both ends of a socket are captured when both are local (the
 * client's writes and the server's reads); of a pipe, only the server's end. sendmsg and recvmsg
 * are not captured. And the first write on each TCP connection a process makes, when it starts a
 * TLS ClientHello (for the server name of TLS that is not hooked). Off until the agent lists
 * ports in data_ports or switches the stdio or ClientHello capture on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/data.h"
#include "lib/net.h"
#include "lib/stdio.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "GPL";

/* Ports (host byte order) whose TCP traffic is captured, local or remote. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} data_ports SEC(".maps");

/* Bits set by the agent: 1 once data_ports holds a port, 2 once stdio capture is on. Until then
 * every read and write returns after one array lookup. */
#define SOCK_DATA_PORTS 1
#define SOCK_DATA_STDIO 2
#define SOCK_DATA_HELLO 4
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sock_data_on SEC(".maps");

/* TCP connections made while the ClientHello capture is on whose first write is still to come,
 * keyed by tgid << 32 | fd. LRU: a connection that never writes ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} hello_pending SEC(".maps");

struct sock_call {
	__u64 session; /* struct sock *, or the pipe's struct inode * */
	__u64 buf;
	__s32 fd;
	__u32 peer;
	__u32 iovcnt; /* readv/writev: buf is the iovec array; 0: buf is the bytes */
	__u8 direction;
	__u8 source;
};

static __always_inline __u32 sock__on(void)
{
	__u32 zero = 0;
	__u32 *on = bpf_map_lookup_elem(&sock_data_on, &zero);

	return on ? *on : 0;
}

/* A pipe (or unix socket) at fd 0 or 1 of a captured server: the call is captured with it as its session
 * (each pipe is one direction's stream; the decoder pairs requests and responses per process). */
static __always_inline bool sock__stdio_call(struct file *file, struct sock *sk, struct sock_call *call)
{
	if (call->fd != 0 && call->fd != 1)
		return false;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ztai_stdio_proc *p = bpf_map_lookup_elem(&stdio_procs, &tgid);
	if (!p || p->role != ZTAI_STDIO_SERVER)
		return false;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	/* libuv (node) gives a child's stdio a unix socketpair, Python and shells a pipe. */
	if (sk) {
		if (BPF_CORE_READ(sk, __sk_common.skc_family) != ZTAI_AF_UNIX)
			return false;
	} else if ((BPF_CORE_READ(inode, i_mode) & ZTAI_S_IFMT) != ZTAI_S_IFIFO) {
		return false;
	}
	call->session = (__u64)inode;
	call->peer = p->client_tgid;
	call->source = ZTAI_DATA_PIPE;
	return true;
}

static __always_inline bool sock__port_call(struct sock *sk, struct sock_call *call)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!bpf_map_lookup_elem(&data_ports, &lport) && !bpf_map_lookup_elem(&data_ports, &rport))
		return false;
	call->session = (__u64)sk;
	call->source = ZTAI_DATA_SOCKET;
	return true;
}

/* The first write on a connection marked at connect: true once, and the mark is gone. */
static __always_inline bool sock__first_write(long fd)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ull) | (__u32)fd;

	if (!bpf_map_lookup_elem(&hello_pending, &key))
		return false;
	bpf_map_delete_elem(&hello_pending, &key);
	return true;
}

/* iovecs of one readv/writev followed; the bytes past them are counted as truncated. */
#define SOCK_MAX_IOV 16

/* The first write on a TCP connection the process made, when it starts a ClientHello: its first
 * ZTAI_TLS_HELLO_MAX bytes, parsed by the agent for the server name. */
static __always_inline void sock__emit_hello(struct sock *sk, __u64 buf, long fd, __u32 bytes)
{
	__u8 head[6];
	__u32 zero = 0;

	if (bytes < sizeof(head) || bpf_probe_read_user(head, sizeof(head), (const void *)buf))
		return;
	if (head[0] != 22 || head[1] != 3 || head[5] != 1) /* handshake record, TLS, ClientHello */
		return;
	struct data_scratch *scratch = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!scratch)
		return;
	struct ztai_tls_hello_event *ev = (void *)scratch->bytes;
	__u64 n = bytes;
	if (n > ZTAI_TLS_HELLO_MAX)
		n = ZTAI_TLS_HELLO_MAX;
	if (bpf_probe_read_user(ev->data, n, (const void *)buf)) {
		counters__read_error();
		return;
	}
	emit__fill_header(&ev->hdr, ZTAI_EVENT_TLS_CLIENT_HELLO, sizeof(*ev) + n, bpf_get_current_task_btf());
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->call_bytes = bytes;
	ev->data_len = n;
	ev->fd = fd;
	ev->family = family;
	ev->_pad[0] = ev->_pad[1] = ev->_pad[2] = 0;
	__builtin_memset(ev->laddr, 0, sizeof(ev->laddr));
	__builtin_memset(ev->raddr, 0, sizeof(ev->raddr));
	net__sock_local(sk, family, ev->laddr, &ev->lport);
	net__sock_remote(sk, family, ev->raddr, &ev->rport);
	emit__data_copy(ev, sizeof(*ev) + n);
}

struct sock_iov_ctx {
	struct sock_call *call;
	__u64 left; /* bytes of the call's result not yet emitted */
};

static long sock__iov(__u32 i, struct sock_iov_ctx *c)
{
	struct iovec iov;

	if (i >= c->call->iovcnt || !c->left)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(c->call->buf + (__u64)i * sizeof(iov)))) {
		counters__read_error();
		return 1;
	}
	__u64 n = iov.iov_len < c->left ? iov.iov_len : c->left;
	c->left -= n;
	if (n)
		data__emit_peer_call(c->call->source, c->call->direction, c->call->session, (__u64)iov.iov_base, n,
				     c->call->fd, c->call->peer);
	return 0;
}

static __always_inline void sock__emit(struct sock_call *call, __u32 bytes)
{
	if (!call->iovcnt) {
		data__emit_peer_call(call->source, call->direction, call->session, call->buf, bytes, call->fd, call->peer);
		return;
	}
	struct sock_iov_ctx c = {.call = call, .left = bytes};
	bpf_loop(SOCK_MAX_IOV, sock__iov, &c, 0);
	if (c.left)
		counters__data_truncated(c.left);
}

/* A read or write that moved `ret` bytes; `vectored`: readv/writev, whose third argument counts
 * the iovecs. What costs least decides first: the switches, then the file at the fd (a socket or
 * not), and only for a socket or a stdio fd a map. */
static __always_inline int sock__exit(long ret, __u8 direction, bool vectored)
{
	if (ret <= 0)
		return 0;
	__u32 on = sock__on();
	if (!on || !data__in_scope())
		return 0;
	struct pt_regs *regs = task__user_regs();
	struct sock_call call = {
		.buf = PT_REGS_PARM2_SYSCALL(regs),
		.fd = (int)PT_REGS_PARM1_SYSCALL(regs),
		.iovcnt = vectored ? (__u32)PT_REGS_PARM3_SYSCALL(regs) : 0,
		.direction = direction,
	};
	struct file *file = net__file_of_fd(call.fd);
	if (!file)
		return 0;
	struct sock *sk = net__sock_of_file(file);
	if (!sk && !(on & SOCK_DATA_STDIO))
		return 0;
	if (ret > 0xffffffffl)
		ret = 0xffffffffl;
	if ((on & SOCK_DATA_STDIO) && sock__stdio_call(file, sk, &call)) {
		sock__emit(&call, ret);
		return 0;
	}
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if ((on & SOCK_DATA_HELLO) && direction == ZTAI_DATA_EGRESS && !vectored && sock__first_write(call.fd))
		sock__emit_hello(sk, call.buf, call.fd, ret);
	if ((on & SOCK_DATA_PORTS) && sock__port_call(sk, &call))
		sock__emit(&call, ret);
	return 0;
}

/* A TCP connection being made: its first write is looked at for a ClientHello. */
SEC("tracepoint/syscalls/sys_enter_connect")
int sock_enter_connect(struct ztai_sys_enter_ctx *ctx)
{
	if (!(sock__on() & SOCK_DATA_HELLO) || !data__in_scope())
		return 0;
	long fd = ctx->args[0];
	struct sock *sk = net__sock_of_fd(fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ull) | (__u32)fd;
	__u8 one = 1;
	bpf_map_update_elem(&hello_pending, &key, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int sock_exit_write(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_EGRESS, false); }
SEC("tracepoint/syscalls/sys_exit_sendto")
int sock_exit_sendto(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_EGRESS, false); }
SEC("tracepoint/syscalls/sys_exit_read")
int sock_exit_read(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_INGRESS, false); }
SEC("tracepoint/syscalls/sys_exit_recvfrom")
int sock_exit_recvfrom(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_INGRESS, false); }
SEC("tracepoint/syscalls/sys_exit_writev")
int sock_exit_writev(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_EGRESS, true); }
SEC("tracepoint/syscalls/sys_exit_readv")
int sock_exit_readv(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret, ZTAI_DATA_INGRESS, true); }
