// SPDX-License-Identifier: GPL-2.0
/* Paths around the other sensors, made visible: io_uring submits file and network operations
 * without the syscalls they watch, and raw or packet sockets send and receive below TCP/UDP.
 * The records say that a process opened such a path; what it does through it is not seen. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/emit.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

#define SOCK_TYPE_MASK 0xf

struct blindspot_call {
	__u32 a, b, c;
};

/* Arguments from the enter tracepoint, kept until the exit has the result; LRU, since a thread
 * that dies inside the call leaves its entry behind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct blindspot_call);
} blindspot_calls SEC(".maps");

static __always_inline void blindspot__save(__u32 a, __u32 b, __u32 c)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct blindspot_call call = {a, b, c};

	if (bpf_map_update_elem(&blindspot_calls, &tid, &call, BPF_ANY))
		counters__net_untracked();
}

static __always_inline bool blindspot__take(struct blindspot_call *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct blindspot_call *call = bpf_map_lookup_elem(&blindspot_calls, &tid);

	if (!call)
		return false;
	*out = *call;
	bpf_map_delete_elem(&blindspot_calls, &tid);
	return true;
}

SEC("tracepoint/syscalls/sys_enter_io_uring_setup")
int blindspot_enter_io_uring_setup(struct ztai_sys_enter_ctx *ctx)
{
	if (filter__is_self())
		return 0;
	__u32 flags = 0;
	struct io_uring_params *params = (struct io_uring_params *)ctx->args[1];
	if (bpf_probe_read_user(&flags, sizeof(flags), &params->flags))
		counters__read_error();
	blindspot__save(ctx->args[0], flags, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_setup")
int blindspot_exit_io_uring_setup(struct ztai_sys_exit_ctx *ctx)
{
	struct blindspot_call call;
	if (!blindspot__take(&call) || !net__wanted(ZTAI_EVENT_IO_URING_SETUP))
		return 0;
	struct ztai_io_uring_setup_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_IO_URING_SETUP, sizeof(*ev), bpf_get_current_task_btf());
	ev->res = ctx->ret;
	ev->entries = call.a;
	ev->flags = call.b;
	emit__control_submit(ev);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_socket")
int blindspot_enter_socket(struct ztai_sys_enter_ctx *ctx)
{
	__u32 domain = ctx->args[0], type = ctx->args[1] & SOCK_TYPE_MASK;
	if ((type != SOCK_RAW && domain != ZTAI_AF_PACKET) || filter__is_self())
		return 0;
	blindspot__save(domain, type, ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_socket")
int blindspot_exit_socket(struct ztai_sys_exit_ctx *ctx)
{
	struct blindspot_call call;
	if (!blindspot__take(&call) || !net__wanted(ZTAI_EVENT_RAW_SOCKET))
		return 0;
	struct ztai_raw_socket_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_RAW_SOCKET, sizeof(*ev), bpf_get_current_task_btf());
	ev->res = ctx->ret;
	ev->domain = call.a;
	ev->type = call.b;
	ev->protocol = call.c;
	ev->_pad = 0;
	emit__control_submit(ev);
	return 0;
}
