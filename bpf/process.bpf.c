// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle: exec, fork, exit. Always on: every other family and the process table in
 * userspace depend on it. tp_btf gives typed task pointers, including the child on fork, which
 * the plain sched_process_fork tracepoint does not. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/emit.h"
#include "lib/stdio.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (filter__is_self())
		return 0;

	__u32 zero = 0;
	struct ztai_exec_event *ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!ev)
		return 0;

	const struct cred *cred = BPF_CORE_READ(task, cred);
	ev->parent = task__parent_key(task);
	ev->uid = BPF_CORE_READ(cred, uid.val);
	ev->gid = BPF_CORE_READ(cred, gid.val);
	ev->euid = BPF_CORE_READ(cred, euid.val);
	ev->egid = BPF_CORE_READ(cred, egid.val);
	ev->exe_ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	ev->exe_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	ev->old_tid = old_pid;
	ev->flags = 0;
	task__posture(task, &ev->posture);

	long n = bpf_probe_read_kernel_str(ev->data, ZTAI_MAX_FILENAME, BPF_CORE_READ(bprm, filename));
	if (n < 0) {
		counters__read_error();
		n = 0;
	} else if (n == ZTAI_MAX_FILENAME) {
		ev->flags |= ZTAI_EXEC_FILENAME_TRUNCATED;
	}
	__u32 fname_len = n;
	if (fname_len > ZTAI_MAX_FILENAME)
		fname_len = ZTAI_MAX_FILENAME;
	ev->filename_len = fname_len;

	/* argv as the new image sees it: the NUL-separated block between arg_start and arg_end. */
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
	__u64 args_len = arg_end > arg_start ? arg_end - arg_start : 0;
	__u32 max_args = ztai_config.max_args_bytes;
	if (max_args > ZTAI_MAX_ARGS_CAP)
		max_args = ZTAI_MAX_ARGS_CAP;
	if (args_len > max_args) {
		args_len = max_args;
		ev->flags |= ZTAI_EXEC_ARGS_TRUNCATED;
	}
	if (args_len > ZTAI_MAX_ARGS_CAP)
		args_len = ZTAI_MAX_ARGS_CAP;
	if (args_len && bpf_probe_read_user(ev->data + fname_len, args_len, (void *)arg_start)) {
		ev->flags |= ZTAI_EXEC_ARGS_UNREADABLE;
		counters__read_error();
		args_len = 0;
	}
	ev->args_len = args_len;

	__u64 size = sizeof(*ev) + fname_len + args_len;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_PROCESS_EXEC, size, task);
	if (size > sizeof(struct ztai_scratch))
		return 0;
	emit__control_copy(ev, size);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	/* Threads share their process's identity; only new thread groups are processes. */
	if (!task__is_thread_group_leader(child) || filter__is_self())
		return 0;
	stdio__inherit(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));

	struct ztai_fork_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_PROCESS_FORK, sizeof(*ev), parent);
	ev->child = task__proc_key(child);
	ev->parent = task__parent_key(child);
	ev->child_cgroup_id = task__cgroup_id(child);
	ev->child_tid = BPF_CORE_READ(child, pid);
	ev->_pad = 0;
	emit__control_submit(ev);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	/* The tracepoint fires per thread; signal->live reaches zero when the last one exits. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0 || filter__is_self())
		return 0;
	stdio__forget(BPF_CORE_READ(task, tgid));

	struct ztai_exit_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_PROCESS_EXIT, sizeof(*ev), task);
	ev->status = BPF_CORE_READ(task, exit_code);
	ev->_pad = 0;
	emit__control_submit(ev);
	return 0;
}
