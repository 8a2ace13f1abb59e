/* Reads from task_struct through CO-RE. */
#ifndef ZTAI_BPF_TASK_H
#define ZTAI_BPF_TASK_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

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

#endif
