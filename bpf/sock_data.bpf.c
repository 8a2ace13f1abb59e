// SPDX-License-Identifier: GPL-2.0
/* Plaintext on TCP sockets of selected ports (local model servers such as Ollama on 11434 or vLLM
 * on 8000, spoken to over plain HTTP): the bytes of read, write, sendto and recvfrom, copied at
 * the syscall's exit with the count it returned. Both ends are captured when both are local (the
 * client's writes and the server's reads). Calls with an iovec (readv, writev, sendmsg, recvmsg)
 * are not captured. Off until the agent lists ports in data_ports. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/data.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

/* Ports (host byte order) whose TCP traffic is captured, local or remote. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} data_ports SEC(".maps");

/* Set to 1 by the agent once data_ports holds a port: until then every read and write returns
 * after one array lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} data_ports_on SEC(".maps");

struct sock_call {
	__u64 sk;
	__u64 buf;
	__s32 fd;
	__u8 direction;
	__u8 _pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct sock_call);
} sock_calls SEC(".maps");

static __always_inline bool sock__on(void)
{
	__u32 zero = 0;
	__u32 *on = bpf_map_lookup_elem(&data_ports_on, &zero);

	return on && *on;
}

static __always_inline int sock__enter(long fd, __u64 buf, __u8 direction)
{
	if (!sock__on() || !data__in_scope())
		return 0;
	struct sock *sk = net__sock_of_fd(fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!bpf_map_lookup_elem(&data_ports, &lport) && !bpf_map_lookup_elem(&data_ports, &rport))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock_call call = {.sk = (__u64)sk, .buf = buf, .fd = fd, .direction = direction};
	bpf_map_update_elem(&sock_calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int sock__exit(long ret)
{
	if (!sock__on())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock_call *found = bpf_map_lookup_elem(&sock_calls, &tid);

	if (!found)
		return 0;
	struct sock_call call = *found;
	bpf_map_delete_elem(&sock_calls, &tid);
	if (ret <= 0)
		return 0;
	if (ret > 0xffffffffl)
		ret = 0xffffffffl;
	data__emit_call(ZTAI_DATA_SOCKET, call.direction, call.sk, call.buf, ret, call.fd);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int sock_enter_write(struct ztai_sys_enter_ctx *ctx) { return sock__enter(ctx->args[0], ctx->args[1], ZTAI_DATA_EGRESS); }
SEC("tracepoint/syscalls/sys_enter_sendto")
int sock_enter_sendto(struct ztai_sys_enter_ctx *ctx) { return sock__enter(ctx->args[0], ctx->args[1], ZTAI_DATA_EGRESS); }
SEC("tracepoint/syscalls/sys_enter_read")
int sock_enter_read(struct ztai_sys_enter_ctx *ctx) { return sock__enter(ctx->args[0], ctx->args[1], ZTAI_DATA_INGRESS); }
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int sock_enter_recvfrom(struct ztai_sys_enter_ctx *ctx) { return sock__enter(ctx->args[0], ctx->args[1], ZTAI_DATA_INGRESS); }

SEC("tracepoint/syscalls/sys_exit_write")
int sock_exit_write(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_sendto")
int sock_exit_sendto(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_read")
int sock_exit_read(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_recvfrom")
int sock_exit_recvfrom(struct ztai_sys_exit_ctx *ctx) { return sock__exit(ctx->ret); }
