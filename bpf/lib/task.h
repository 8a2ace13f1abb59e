/* Reads from task_struct through CO-RE. */
#ifndef ZTAI_BPF_TASK_H
#define ZTAI_BPF_TASK_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "../abi/events.h"

/* The key of the process a task belongs to: its thread-group leader's tgid and start time in
 * USER_HZ ticks, computed as /proc computes field 22 (nsec_to_clock_t(start_boottime)). */
static __always_inline struct ztai_proc_key task__proc_key(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct ztai_proc_key key = {};

	key.tgid = BPF_CORE_READ(task, tgid);
	key.start_ticks = BPF_CORE_READ(leader, start_boottime) / ZTAI_NSEC_PER_TICK;
	return key;
}

static __always_inline struct ztai_proc_key task__parent_key(struct task_struct *task)
{
	return task__proc_key(BPF_CORE_READ(task, real_parent));
}

/* cgroup v2 id of a task that is not current (bpf_get_current_cgroup_id covers current). */
static __always_inline __u64 task__cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static __always_inline bool task__is_thread_group_leader(struct task_struct *task)
{
	return BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid);
}

/* The current task's saved user registers: at a syscall's exit they still hold its arguments, so
 * an exit tracepoint alone knows the call and its result, with no state kept from the entry.
 * bpf_task_pt_regs gives a BTF pointer: its registers are plain loads, not a helper call each
 * (PT_REGS_PARM<n>_SYSCALL). */
static __always_inline struct pt_regs *task__user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define TASK_PFA_NO_NEW_PRIVS 0 /* bit of task_struct.atomic_flags, include/linux/sched.h */

/* The namespace of `task`'s own pid: thread_pid->numbers[level], which unlike
 * nsproxy->pid_ns_for_children does not change with unshare(CLONE_NEWPID). */
static __always_inline __u32 task__pid_ns_inum(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(pid, level);
	struct upid *up = (struct upid *)((void *)pid + bpf_core_field_offset(struct pid, numbers) +
					  (level & 31) * bpf_core_type_size(struct upid));
	return BPF_CORE_READ(up, ns, ns.inum);
}

static __always_inline void task__posture(struct task_struct *task, struct ztai_posture *p)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);
	p->cap_effective = BPF_CORE_READ(cred, cap_effective.val);
	p->cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
	p->cap_bounding = BPF_CORE_READ(cred, cap_bset.val);
	p->pid_ns = task__pid_ns_inum(task);
	p->net_ns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	p->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	p->seccomp = BPF_CORE_READ(task, seccomp.mode);
	p->no_new_privs = (BPF_CORE_READ(task, atomic_flags) >> TASK_PFA_NO_NEW_PRIVS) & 1;
	p->_pad = 0;
}

#endif
