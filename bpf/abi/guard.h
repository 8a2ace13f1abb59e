/* Process and file enforcement in the kernel (bpf/exec_guard.bpf.c): which workloads are guarded,
 * the executables they may or may not run, io_uring refusal, unix socket connects, and the
 * record of a denial. The agent writes the maps; the kernel decides without a round trip.
 *
 * A workload is a cgroup id in guard_workloads. A task is guarded by the deepest of its cgroup
 * and that cgroup's ancestors found there, so a cgroup created under a guarded one is covered
 * before the agent has seen it. */
#ifndef ZTAI_ABI_GUARD_H
#define ZTAI_ABI_GUARD_H

#include "events.h"

#define ZTAI_GUARD_MAX_WORKLOADS 4096
#define ZTAI_GUARD_MAX_EXEC_FILES 65536
#define ZTAI_GUARD_MAX_UNIX_PATHS 4096
/* Ancestors looked up above a task's own cgroup (kubepods/<qos>/<pod>/<container> is 4 deep). */
#define ZTAI_GUARD_MAX_ANCESTORS 8
/* sizeof(((struct sockaddr_un *)0)->sun_path) */
#define ZTAI_UNIX_PATH_MAX 108

enum ztai_guard_flags {
	ZTAI_GUARD_EXEC = 1 << 0,            /* exec is checked against guard_exec_files */
	ZTAI_GUARD_EXEC_DEFAULT_DENY = 1 << 1, /* an exec with no entry is denied (else allowed) */
	ZTAI_GUARD_IO_URING_DENY = 1 << 2,   /* io_uring_setup kills the caller */
	ZTAI_GUARD_UNIX = 1 << 3,            /* unix connects are checked against guard_unix_paths */
	ZTAI_GUARD_AUDIT = 1 << 4,           /* report what would be denied, deny nothing */
};

/* Value of guard_workloads, keyed by cgroup id (__u64). */
struct ztai_guard_workload {
	__u32 policy_id;        /* the agent's number for the policy; keys the file and path sets */
	__u32 flags;            /* enum ztai_guard_flags */
	__u32 io_uring_rule_id; /* reported with an io_uring denial */
	__u32 exec_default_rule_id; /* reported when an exec is denied for having no entry */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_guard_workload) == 16, "ztai_guard_workload layout");

/* Key of guard_exec_files: an executable of a policy, by device (kernel encoding,
 * MAJOR << 20 | MINOR, as in ztai_exec_event) and inode. */
struct ztai_guard_file_key {
	__u32 policy_id;
	__u32 dev;
	__u64 ino;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_guard_file_key) == 16, "ztai_guard_file_key layout");

enum ztai_guard_verdict {
	ZTAI_GUARD_ALLOW = 1,
	ZTAI_GUARD_DENY = 2,
};

struct ztai_guard_entry {
	__u32 verdict; /* enum ztai_guard_verdict */
	__u32 rule_id; /* the policy rule that put it there */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_guard_entry) == 8, "ztai_guard_entry layout");

/* Key of guard_unix_paths: a socket path as given to connect(2), zero-padded. Always denied. */
struct ztai_guard_unix_key {
	__u32 policy_id;
	char path[ZTAI_UNIX_PATH_MAX];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_guard_unix_key) == 112, "ztai_guard_unix_key layout");

enum ztai_guard_kind {
	ZTAI_GUARD_KIND_EXEC = 1,
	ZTAI_GUARD_KIND_IO_URING = 2,
	ZTAI_GUARD_KIND_UNIX_CONNECT = 3,
};

enum ztai_guard_denial_flags {
	ZTAI_DENIAL_AUDIT = 1 << 0,          /* audit mode: reported, not denied */
	ZTAI_DENIAL_PATH_TRUNCATED = 1 << 1,
	ZTAI_DENIAL_KILL_FAILED = 1 << 2,    /* bpf_send_signal failed: the process runs on */
};

/* ZTAI_EVENT_GUARD_DENIAL, on the control ring. Header: the denied process (for an exec, after
 * the exec). path: the file executed as given to execve, or the unix socket path. */
#define ZTAI_GUARD_PATH_MAX 256

struct ztai_guard_denial_event {
	struct ztai_event_header hdr;
	__u64 workload_cgroup_id; /* the guarded cgroup whose policy denied (the task's or an ancestor) */
	__u64 ino;                /* exec: the executed file */
	__u32 dev;
	__u32 policy_id;
	__u32 rule_id;
	__u16 kind;               /* enum ztai_guard_kind */
	__u16 flags;              /* enum ztai_guard_denial_flags */
	__u16 path_len;           /* bytes of path used, NUL included */
	__u16 _pad[3];
	char path[ZTAI_GUARD_PATH_MAX];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_guard_denial_event) == 344, "ztai_guard_denial_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_guard_denial_event, policy_id) == 68, "denial.policy_id offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_guard_denial_event, path) == 88, "denial.path offset");

#endif
