// SPDX-License-Identifier: GPL-2.0
/* Self-protection (bpf/abi/selfguard.h): reports another process that writes the agent's maps,
 * detaches or replaces its programs, opens them by id, signals the agent, traces it or writes its
 * memory. Tracepoints cannot refuse a call; these report it as it starts. bpf(2), ptrace(2) and
 * process_vm_* are rare calls; signal_generate runs for every signal on the machine, so it reads
 * one task field and one array element before deciding. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/selfguard.h"
#include "lib/emit.h"
#include "lib/net.h"
#include "lib/path.h"

char LICENSE[] SEC("license") = "GPL";

#define ZTAI_PTRACE_ATTACH 16
#define ZTAI_PTRACE_SEIZE 0x4206
#define ZTAI_SI_USER 0
#define ZTAI_SI_KERNEL 0x80

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ztai_selfguard_config);
} selfguard_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_SELFGUARD_MAX_OBJECTS);
	__type(key, struct ztai_selfguard_key);
	__type(value, __u8);
} selfguard_objects SEC(".maps");

static __always_inline struct ztai_selfguard_config *selfguard__config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&selfguard_config, &zero);
}

/* The protected tgid, or 0 when there is none or the current task is the agent itself. */
static __always_inline __u32 selfguard__target(void)
{
	struct ztai_selfguard_config *cfg = selfguard__config();

	if (!cfg || !cfg->protected_tgid || (bpf_get_current_pid_tgid() >> 32) == cfg->protected_tgid)
		return 0;
	return cfg->protected_tgid;
}

/* The protected tgid when `pid`, a pid as the current task names it, is the agent: a number in
 * another pid namespace is another process. */
static __always_inline __u32 selfguard__target_pid(__u32 pid)
{
	struct ztai_selfguard_config *cfg = selfguard__config();
	__u32 target = selfguard__target();

	if (!cfg || !target || pid != target)
		return 0;
	if (cfg->pid_ns && task__pid_ns_inum((struct task_struct *)bpf_get_current_task()) != cfg->pid_ns)
		return 0;
	return target;
}

static __always_inline void selfguard__emit(__u32 target, __u16 action, __u16 object, __u32 id, __u32 command,
					    __s32 code, __s32 result)
{
	struct ztai_selfguard_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_SELFGUARD, sizeof(*ev), (struct task_struct *)bpf_get_current_task());
	ev->action = action;
	ev->object = object;
	ev->target_tgid = target;
	ev->object_id = id;
	ev->command = command;
	ev->signal_code = code;
	ev->signal_result = result;
	emit__control_submit(ev);
}

/* What a BPF descriptor of the current task refers to, told by the name of its anonymous inode
 * ("bpf-map", "bpf-prog", "bpf-link", formerly "bpf_link": kernel/bpf/syscall.c), and the
 * object's id; 0 when the descriptor is not of that kind. The name cannot be forged: only bpf(2)
 * makes such files. */
static __always_inline __u32 selfguard__fd_object_id(int fd, __u32 kind)
{
	struct file *file = path__fd_file(fd);
	if (!file)
		return 0;
	const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	char buf[10] = {};
	if (bpf_probe_read_kernel(buf, sizeof(buf) - 1, name))
		return 0;
	if (buf[0] != 'b' || buf[1] != 'p' || buf[2] != 'f')
		return 0;
	void *obj = BPF_CORE_READ(file, private_data);
	if (kind == ZTAI_SELFGUARD_MAP && buf[3] == '-' && buf[4] == 'm' && buf[5] == 'a' && buf[6] == 'p' && !buf[7])
		return BPF_CORE_READ((struct bpf_map *)obj, id);
	if (kind == ZTAI_SELFGUARD_PROG && buf[3] == '-' && buf[4] == 'p' && buf[5] == 'r' && buf[6] == 'o' &&
	    buf[7] == 'g' && !buf[8])
		return BPF_CORE_READ((struct bpf_prog *)obj, aux, id);
	if (kind == ZTAI_SELFGUARD_LINK && (buf[3] == '_' || buf[3] == '-') && buf[4] == 'l' && buf[5] == 'i' && buf[6] == 'n' &&
	    buf[7] == 'k' && !buf[8])
		return BPF_CORE_READ((struct bpf_link *)obj, id);
	return 0;
}

static __always_inline bool selfguard__owns(__u32 kind, __u32 id)
{
	struct ztai_selfguard_key key = {.object = kind, .id = id};
	return id && bpf_map_lookup_elem(&selfguard_objects, &key);
}

/* Reads a __u32 of the caller's union bpf_attr; ~0 when it cannot be read. */
static __always_inline __u32 selfguard__attr_u32(const void *uattr, __u32 offset)
{
	__u32 v = ~0u;
	if (bpf_probe_read_user(&v, sizeof(v), uattr + offset))
		counters__read_error();
	return v;
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int selfguard_enter_bpf(struct ztai_sys_enter_ctx *ctx)
{
	__u32 target = selfguard__target();
	if (!target)
		return 0;
	__u32 cmd = ctx->args[0];
	const void *uattr = (const void *)ctx->args[1];
	__u16 action, kind;
	__u32 id;

	switch (cmd) {
	case BPF_MAP_UPDATE_ELEM:
	case BPF_MAP_DELETE_ELEM:
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case BPF_MAP_FREEZE:
		action = ZTAI_SELFGUARD_MAP_WRITE;
		kind = ZTAI_SELFGUARD_MAP;
		id = selfguard__fd_object_id(selfguard__attr_u32(uattr, 0), kind);
		break;
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		action = ZTAI_SELFGUARD_MAP_WRITE;
		kind = ZTAI_SELFGUARD_MAP;
		id = selfguard__fd_object_id(
			selfguard__attr_u32(uattr, __builtin_offsetof(union bpf_attr, batch.map_fd)), kind);
		break;
	case BPF_MAP_GET_FD_BY_ID:
	case BPF_PROG_GET_FD_BY_ID:
	case BPF_LINK_GET_FD_BY_ID:
		action = ZTAI_SELFGUARD_OBJECT_OPEN;
		kind = cmd == BPF_MAP_GET_FD_BY_ID ? ZTAI_SELFGUARD_MAP
		       : cmd == BPF_PROG_GET_FD_BY_ID ? ZTAI_SELFGUARD_PROG
						      : ZTAI_SELFGUARD_LINK;
		id = selfguard__attr_u32(uattr, 0);
		break;
	case BPF_PROG_DETACH:
		action = ZTAI_SELFGUARD_DETACH;
		kind = ZTAI_SELFGUARD_PROG;
		id = selfguard__fd_object_id(
			selfguard__attr_u32(uattr, __builtin_offsetof(union bpf_attr, attach_bpf_fd)), kind);
		break;
	case BPF_LINK_DETACH:
	case BPF_LINK_UPDATE:
		action = cmd == BPF_LINK_DETACH ? ZTAI_SELFGUARD_DETACH : ZTAI_SELFGUARD_LINK_UPDATE;
		kind = ZTAI_SELFGUARD_LINK;
		id = selfguard__fd_object_id(selfguard__attr_u32(uattr, 0), kind);
		break;
	default:
		return 0;
	}
	if (selfguard__owns(kind, id))
		selfguard__emit(target, action, kind, id, cmd, 0, 0);
	return 0;
}

/* Every signal the kernel generates, whoever sends it; `task` is the receiving thread. info may
 * be SEND_SIG_NOINFO (0: from a user) or SEND_SIG_PRIV (1: from the kernel) instead of a pointer. */
SEC("tp_btf/signal_generate")
int BPF_PROG(selfguard_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	struct ztai_selfguard_config *cfg = selfguard__config();

	if (!cfg || !cfg->protected_tgid || task->tgid != cfg->protected_tgid)
		return 0;
	if (sig <= 0 || sig >= 64 || !(cfg->signals & (1ULL << sig)))
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == cfg->protected_tgid)
		return 0;
	__s32 code = (unsigned long)info == 0 ? ZTAI_SI_USER
		     : (unsigned long)info == 1 ? ZTAI_SI_KERNEL
						: BPF_CORE_READ(info, si_code);
	selfguard__emit(cfg->protected_tgid, ZTAI_SELFGUARD_SIGNAL, 0, 0, sig, code, result);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int selfguard_enter_ptrace(struct ztai_sys_enter_ctx *ctx)
{
	long request = ctx->args[0];
	if (request != ZTAI_PTRACE_ATTACH && request != ZTAI_PTRACE_SEIZE)
		return 0;
	__u32 target = selfguard__target_pid(ctx->args[1]);
	if (target)
		selfguard__emit(target, ZTAI_SELFGUARD_PTRACE, 0, 0, request, 0, 0);
	return 0;
}

static __always_inline int selfguard__process_vm(struct ztai_sys_enter_ctx *ctx, __u16 action)
{
	__u32 target = selfguard__target_pid(ctx->args[0]);

	if (target)
		selfguard__emit(target, action, 0, 0, 0, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int selfguard_enter_process_vm_writev(struct ztai_sys_enter_ctx *ctx)
{
	return selfguard__process_vm(ctx, ZTAI_SELFGUARD_MEMORY_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_process_vm_readv")
int selfguard_enter_process_vm_readv(struct ztai_sys_enter_ctx *ctx)
{
	return selfguard__process_vm(ctx, ZTAI_SELFGUARD_MEMORY_READ);
}
