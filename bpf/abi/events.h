/* THE record format between the BPF programs and the agent.
 *
 * Every record starts with struct ztai_event_header. Payloads are append-only: a changed payload
 * is a new event type, so an agent never misreads a record written by another build. No pointers,
 * explicit padding, sizes checked below in both compilers and against the BPF object's BTF in the
 * unit tests. */
#ifndef ZTAI_ABI_EVENTS_H
#define ZTAI_ABI_EVENTS_H

#include "types.h"

enum ztai_event_type {
	ZTAI_EVENT_NONE = 0,
	ZTAI_EVENT_PROCESS_EXEC = 1,
	ZTAI_EVENT_PROCESS_FORK = 2,
	ZTAI_EVENT_PROCESS_EXIT = 3,
	ZTAI_EVENT_TYPE_MAX, /* first unused value: new types go above this line */
};

/* A process is named by its tgid and the boot-time start of its thread-group leader in clock
 * ticks (USER_HZ), the unit of /proc/PID/stat field 22. Processes seeded from /proc and
 * processes seen by the kernel therefore get the same key, and a reused pid gets a new one. */
struct ztai_proc_key {
	__u32 tgid;
	__u32 _pad;
	__u64 start_ticks;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_proc_key) == 16, "ztai_proc_key layout");

/* USER_HZ is 100 on every Linux ABI, so one tick is 10 ms of boot time. */
#define ZTAI_NSEC_PER_TICK 10000000ULL

struct ztai_event_header {
	__u16 type;      /* enum ztai_event_type */
	__u16 _pad0;
	__u32 size;      /* whole record, header included */
	__u64 ktime_ns;  /* CLOCK_BOOTTIME, bpf_ktime_get_boot_ns() */
	__u32 tid;
	__u32 cpu;
	struct ztai_proc_key proc; /* proc.tgid is the tgid of the acting process */
	__u64 cgroup_id; /* cgroup v2 id (the cgroup directory's inode) of the acting task */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_event_header) == 48, "ztai_event_header layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_event_header, proc) == 24, "header.proc offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_event_header, cgroup_id) == 40, "header.cgroup_id offset");

/* Bounds of the variable part of an exec record. The argv bound is set at load time
 * (ztai_kernel_config.max_args_bytes) and clamped to ZTAI_MAX_ARGS_CAP. */
#define ZTAI_MAX_FILENAME 4096
#define ZTAI_MAX_ARGS_CAP 16384

enum ztai_exec_flags {
	ZTAI_EXEC_ARGS_TRUNCATED = 1 << 0,     /* argv was longer than max_args_bytes */
	ZTAI_EXEC_FILENAME_TRUNCATED = 1 << 1, /* filename did not fit ZTAI_MAX_FILENAME */
	ZTAI_EXEC_ARGS_UNREADABLE = 1 << 2,    /* the argv pages could not be read */
};

/* The process replaced its image. Header: the process after exec. Followed by data[]:
 * filename_len bytes of the path given to execve (NUL included), then args_len bytes of argv
 * (each argument NUL-terminated, the last one possibly cut when ARGS_TRUNCATED). */
struct ztai_exec_event {
	struct ztai_event_header hdr;
	struct ztai_proc_key parent; /* real parent's thread-group leader */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u64 exe_ino;   /* inode of the executed file, for exec allowlists and hashes */
	__u32 exe_dev;   /* its device, as the kernel encodes dev_t (MAJOR << 20 | MINOR) */
	__u32 old_tid;   /* thread that called execve (differs from tgid when a thread execs) */
	__u32 flags;     /* enum ztai_exec_flags */
	__u16 filename_len;
	__u16 args_len;
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_exec_event) == 104, "ztai_exec_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, parent) == 48, "exec.parent offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, exe_ino) == 80, "exec.exe_ino offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, data) == 104, "exec.data offset");

/* A new process (not a thread) was created. Header: the process that forked. */
struct ztai_fork_event {
	struct ztai_event_header hdr;
	struct ztai_proc_key child;
	struct ztai_proc_key parent; /* child's real parent: differs from hdr.proc with CLONE_PARENT */
	__u64 child_cgroup_id;       /* differs from hdr.cgroup_id with CLONE_INTO_CGROUP */
	__u32 child_tid;
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_fork_event) == 96, "ztai_fork_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_fork_event, child_cgroup_id) == 80, "fork.child_cgroup_id offset");

/* The last thread of a process exited. Header: the exiting process. */
struct ztai_exit_event {
	struct ztai_event_header hdr;
	__u32 status; /* wait(2) status: exit code << 8, or the terminating signal | 0x80 on core */
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_exit_event) == 56, "ztai_exit_event layout");

/* Ring buffers. Control records (process lifecycle, policy decisions) and bulk data (payloads)
 * are kept apart so a burst of payload cannot crowd out an exec or a denial. */
enum ztai_ring {
	ZTAI_RING_CONTROL = 0,
	ZTAI_RING_DATA = 1,
	ZTAI_RING_COUNT,
};

/* Per-CPU counters (a BPF per-CPU array with one element); userspace sums the CPUs. */
struct ztai_kernel_counters {
	__u64 ring_drops[ZTAI_RING_COUNT]; /* records lost because a ring buffer was full */
	__u64 read_errors;                 /* a probe read failed; the record went out incomplete */
	__u64 _reserved[5];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_kernel_counters) == 64, "ztai_kernel_counters layout");

#endif
