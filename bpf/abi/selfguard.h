/* Self-protection (bpf/selfguard.bpf.c): another process touching the agent's BPF objects,
 * signalling it, tracing it or writing its memory. The agent writes which process it is and
 * which objects are its own; the kernel reports what it sees and prevents nothing (no LSM here,
 * see docs/self-protection.md). */
#ifndef ZTAI_ABI_SELFGUARD_H
#define ZTAI_ABI_SELFGUARD_H

#include "events.h"

#define ZTAI_SELFGUARD_MAX_OBJECTS 4096

enum ztai_selfguard_object {
	ZTAI_SELFGUARD_MAP = 1,
	ZTAI_SELFGUARD_PROG = 2,
	ZTAI_SELFGUARD_LINK = 3,
};

/* Key of selfguard_objects (value: __u8, unused): one of the agent's maps, programs or links.
 * Ids are unique per kind only. */
struct ztai_selfguard_key {
	__u32 object; /* enum ztai_selfguard_object */
	__u32 id;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_selfguard_key) == 8, "ztai_selfguard_key layout");

/* The single element of selfguard_config. 0 in protected_tgid (before the agent writes it)
 * reports nothing. */
struct ztai_selfguard_config {
	__u32 protected_tgid; /* the agent; its own threads are never reported as actors */
	__u32 pid_ns;         /* inode of the agent's pid namespace, in which protected_tgid is its number */
	__u64 signals; /* bit n: signal n sent to the agent is reported (n < 64) */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_selfguard_config) == 16, "ztai_selfguard_config layout");

enum ztai_selfguard_action {
	ZTAI_SELFGUARD_MAP_WRITE = 1,   /* bpf(2) update, delete, lookup-and-delete, batch or freeze on a map */
	ZTAI_SELFGUARD_OBJECT_OPEN = 2, /* bpf(2) *_GET_FD_BY_ID: a descriptor to a map, program or link */
	ZTAI_SELFGUARD_DETACH = 3,      /* BPF_LINK_DETACH on a link, BPF_PROG_DETACH of a program */
	ZTAI_SELFGUARD_LINK_UPDATE = 4, /* BPF_LINK_UPDATE: another program put behind a link */
	ZTAI_SELFGUARD_SIGNAL = 5,      /* a signal generated for the agent */
	ZTAI_SELFGUARD_PTRACE = 6,      /* PTRACE_ATTACH or PTRACE_SEIZE */
	ZTAI_SELFGUARD_MEMORY_WRITE = 7, /* process_vm_writev */
	ZTAI_SELFGUARD_MEMORY_READ = 8,  /* process_vm_readv */
	ZTAI_SELFGUARD_ACTION_MAX,
};

/* ZTAI_EVENT_SELFGUARD, on the control ring. Header: the acting process (for a signal, the task
 * that was running when the kernel generated it: the sender of kill(2), the writer of cgroup.kill,
 * the allocating task for the OOM killer). Emitted as the call starts: the call may still fail. */
struct ztai_selfguard_event {
	struct ztai_event_header hdr;
	__u16 action;       /* enum ztai_selfguard_action */
	__u16 object;       /* enum ztai_selfguard_object; 0 when no BPF object is involved */
	__u32 target_tgid;  /* the protected process */
	__u32 object_id;
	__u32 command;      /* bpf(2) command, signal number or ptrace request */
	__s32 signal_code;  /* si_code of the signal (SI_USER from kill(2), SI_KERNEL...) */
	__s32 signal_result; /* the kernel's TRACE_SIGNAL_* outcome: 0 delivered, 1 ignored... */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_selfguard_event) == 72, "ztai_selfguard_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_selfguard_event, action) == 48, "selfguard.action offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_selfguard_event, signal_code) == 64, "selfguard.signal_code offset");

#endif
