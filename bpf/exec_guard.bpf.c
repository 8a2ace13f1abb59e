// SPDX-License-Identifier: GPL-2.0
/* Process enforcement for guarded workloads (bpf/abi/guard.h): exec by the executed file's device
 * and inode, io_uring refusal, and unix socket connects. Exec and io_uring are decided in
 * tracepoints, which cannot fail the call: the caller gets SIGKILL, which the kernel delivers on
 * the way back to user mode, so a denied image never runs an instruction. A unix connect is
 * refused (EPERM) by a cgroup hook attached by the agent to each guarded cgroup. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/guard.h"
#include "lib/emit.h"
#include "lib/net.h"

char LICENSE[] SEC("license") = "GPL";

#define ZTAI_SIGKILL 9

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_GUARD_MAX_WORKLOADS);
	__type(key, __u64); /* cgroup id */
	__type(value, struct ztai_guard_workload);
} guard_workloads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_GUARD_MAX_EXEC_FILES);
	__type(key, struct ztai_guard_file_key);
	__type(value, struct ztai_guard_entry);
} guard_exec_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZTAI_GUARD_MAX_UNIX_PATHS);
	__type(key, struct ztai_guard_unix_key);
	__type(value, struct ztai_guard_entry);
} guard_unix_paths SEC(".maps");

/* Denial records are built here: the unix key and the record do not fit the BPF stack together. */
struct guard_scratch {
	struct ztai_guard_denial_event ev;
	struct ztai_guard_unix_key unix_key;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_scratch);
} guard_scratch SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

struct guard_match {
	__u64 cgroup_id;
	struct ztai_guard_workload *workload;
};

/* The deepest guarded cgroup among the task's cgroup and its ancestors. */
static __always_inline bool guard__find_task(struct task_struct *task, struct guard_match *m)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	int level = BPF_CORE_READ(cgrp, level);

	for (int d = 0; d <= ZTAI_GUARD_MAX_ANCESTORS; d++) {
		int lvl = level - d;
		if (lvl < 0)
			break;
		struct cgroup *anc = NULL;
		if (bpf_core_read(&anc, sizeof(anc), &cgrp->ancestors[lvl]) || !anc)
			break;
		__u64 id = BPF_CORE_READ(anc, kn, id);
		struct ztai_guard_workload *w = bpf_map_lookup_elem(&guard_workloads, &id);
		if (w) {
			m->cgroup_id = id;
			m->workload = w;
			return true;
		}
	}
	return false;
}

static __always_inline struct guard_scratch *guard__scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&guard_scratch, &zero);
}

/* Kills the current process unless the workload audits, then reports the decision. The caller
 * has set ev->flags, dev, ino and path. */
static __always_inline void guard__deny(struct guard_scratch *s, const struct guard_match *m, __u16 kind,
					__u32 rule_id, struct task_struct *task)
{
	struct ztai_guard_denial_event *ev = &s->ev;

	if (m->workload->flags & ZTAI_GUARD_AUDIT)
		ev->flags |= ZTAI_DENIAL_AUDIT;
	else if (bpf_send_signal(ZTAI_SIGKILL))
		ev->flags |= ZTAI_DENIAL_KILL_FAILED;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_GUARD_DENIAL, sizeof(*ev), task);
	ev->workload_cgroup_id = m->cgroup_id;
	ev->policy_id = m->workload->policy_id;
	ev->rule_id = rule_id;
	ev->kind = kind;
	emit__control_copy(ev, sizeof(*ev));
}

static __always_inline void guard__set_path(struct ztai_guard_denial_event *ev, const char *kernel_str)
{
	long n = bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), kernel_str);
	if (n < 0) {
		counters__read_error();
		n = 0;
		ev->path[0] = 0;
	} else if (n == sizeof(ev->path)) {
		ev->flags |= ZTAI_DENIAL_PATH_TRUNCATED;
	}
	ev->path_len = n;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(guard_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct guard_match m;
	if (!guard__find_task(task, &m) || !(m.workload->flags & ZTAI_GUARD_EXEC))
		return 0;

	/* bprm->file is what the kernel mapped: for a script, its interpreter. */
	struct ztai_guard_file_key key = {
		.policy_id = m.workload->policy_id,
		.dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev),
		.ino = BPF_CORE_READ(bprm, file, f_inode, i_ino),
	};
	struct ztai_guard_entry *entry = bpf_map_lookup_elem(&guard_exec_files, &key);
	__u32 rule_id;
	if (entry) {
		if (entry->verdict != ZTAI_GUARD_DENY)
			return 0;
		rule_id = entry->rule_id;
	} else {
		if (!(m.workload->flags & ZTAI_GUARD_EXEC_DEFAULT_DENY))
			return 0;
		rule_id = m.workload->exec_default_rule_id;
	}

	struct guard_scratch *s = guard__scratch();
	if (!s) {
		/* No room to report: the kill must not depend on the record. */
		if (!(m.workload->flags & ZTAI_GUARD_AUDIT))
			bpf_send_signal(ZTAI_SIGKILL);
		return 0;
	}
	s->ev.flags = 0;
	s->ev.dev = key.dev;
	s->ev.ino = key.ino;
	guard__set_path(&s->ev, BPF_CORE_READ(bprm, filename));
	guard__deny(s, &m, ZTAI_GUARD_KIND_EXEC, rule_id, task);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_io_uring_setup")
int guard_io_uring_setup(struct ztai_sys_enter_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct guard_match m;
	if (!guard__find_task(task, &m) || !(m.workload->flags & ZTAI_GUARD_IO_URING_DENY))
		return 0;
	struct guard_scratch *s = guard__scratch();
	if (!s) {
		if (!(m.workload->flags & ZTAI_GUARD_AUDIT))
			bpf_send_signal(ZTAI_SIGKILL);
		return 0;
	}
	s->ev.flags = 0;
	s->ev.dev = 0;
	s->ev.ino = 0;
	s->ev.path_len = 0;
	s->ev.path[0] = 0;
	guard__deny(s, &m, ZTAI_GUARD_KIND_IO_URING, m.workload->io_uring_rule_id, task);
	return 0;
}

/* The deepest guarded cgroup of the current task, through the helper cgroup hooks may call. */
static __always_inline bool guard__find_current(struct guard_match *m)
{
	bool found = false;
	for (int lvl = 0; lvl < 16; lvl++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(lvl);
		if (!id)
			break;
		struct ztai_guard_workload *w = bpf_map_lookup_elem(&guard_workloads, &id);
		if (w) {
			m->cgroup_id = id;
			m->workload = w;
			found = true;
		}
	}
	return found;
}

/* libbpf 1.1 does not know this section: the agent sets the program type and the attach type
 * (BPF_CGROUP_UNIX_CONNECT, kernel 6.7+) before load, and switches it off where missing. */
SEC("cgroup/connect_unix")
int guard_connect_unix(struct bpf_sock_addr *ctx)
{
	struct guard_match m;
	if (!guard__find_current(&m) || !(m.workload->flags & ZTAI_GUARD_UNIX))
		return 1;
	struct guard_scratch *s = guard__scratch();
	if (!s)
		return 1;

	struct bpf_sock_addr_kern *sa = bpf_cast_to_kern_ctx(ctx);
	struct sockaddr_un *addr = (struct sockaddr_un *)sa->uaddr;
	__builtin_memset(&s->unix_key, 0, sizeof(s->unix_key));
	s->unix_key.policy_id = m.workload->policy_id;
	/* An abstract socket starts with a NUL and reads as the empty path: never listed. */
	long n = bpf_probe_read_kernel_str(s->unix_key.path, sizeof(s->unix_key.path), addr->sun_path);
	if (n < 0) {
		counters__read_error();
		return 1;
	}
	struct ztai_guard_entry *entry = bpf_map_lookup_elem(&guard_unix_paths, &s->unix_key);
	if (!entry)
		return 1;

	struct ztai_guard_denial_event *ev = &s->ev;
	bool audit = m.workload->flags & ZTAI_GUARD_AUDIT;
	ev->flags = audit ? ZTAI_DENIAL_AUDIT : 0;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_GUARD_DENIAL, sizeof(*ev), bpf_get_current_task_btf());
	ev->workload_cgroup_id = m.cgroup_id;
	ev->ino = 0;
	ev->dev = 0;
	ev->policy_id = m.workload->policy_id;
	ev->rule_id = entry->rule_id;
	ev->kind = ZTAI_GUARD_KIND_UNIX_CONNECT;
	__builtin_memcpy(ev->path, s->unix_key.path, sizeof(s->unix_key.path));
	ev->path[ZTAI_UNIX_PATH_MAX] = 0;
	ev->path_len = n;
	emit__control_copy(ev, sizeof(*ev));
	return audit ? 1 : 0;
}
