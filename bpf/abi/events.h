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
	ZTAI_EVENT_PROCESS_EXEC_V1 = 1, /* retired: an exec record without posture */
	ZTAI_EVENT_PROCESS_FORK = 2,
	ZTAI_EVENT_PROCESS_EXIT = 3,
	ZTAI_EVENT_CGROUP_MKDIR = 4,
	ZTAI_EVENT_CGROUP_RMDIR = 5,
	ZTAI_EVENT_FILE = 6,
	ZTAI_EVENT_NET_CONNECT = 7,
	ZTAI_EVENT_NET_ACCEPT = 8,
	ZTAI_EVENT_NET_BIND = 9,
	ZTAI_EVENT_NET_LISTEN = 10,
	ZTAI_EVENT_NET_SENDTO = 11,
	ZTAI_EVENT_NET_SENDMSG = 12,
	ZTAI_EVENT_NET_CLOSE = 13,
	ZTAI_EVENT_DNS = 14,
	ZTAI_EVENT_IO_URING_SETUP = 15,
	ZTAI_EVENT_RAW_SOCKET = 16,
	ZTAI_EVENT_DNS_QUERY = 17,
	ZTAI_EVENT_DATA = 18,
	ZTAI_EVENT_GUARD_DENIAL = 19, /* bpf/abi/guard.h */
	ZTAI_EVENT_POLICY_DENIAL = 20, /* bpf/abi/policy.h */
	ZTAI_EVENT_PROCESS_EXEC = 21, /* exec with posture; replaces type 1 */
	ZTAI_EVENT_SELFGUARD = 22, /* bpf/abi/selfguard.h */
	ZTAI_EVENT_TLS_CLIENT_HELLO = 23, /* struct ztai_tls_hello_event */
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
/* Security posture of a process as its new image starts, read at exec because short-lived
 * processes are gone before /proc can be read. Namespaces are named by their inode numbers; the
 * agent compares them with those of the host's PID 1 to tell which ones a workload shares. */
enum ztai_seccomp_mode {
	ZTAI_SECCOMP_DISABLED = 0, /* SECCOMP_MODE_DISABLED */
	ZTAI_SECCOMP_STRICT = 1,
	ZTAI_SECCOMP_FILTER = 2,
};

struct ztai_posture {
	__u64 cap_effective; /* bit n: capability n (CAP_CHOWN = 0 ...) */
	__u64 cap_permitted;
	__u64 cap_bounding;
	__u32 pid_ns; /* inode of the pid namespace the process lives in */
	__u32 net_ns;
	__u32 mnt_ns;
	__u8 seccomp;      /* enum ztai_seccomp_mode */
	__u8 no_new_privs; /* prctl(PR_SET_NO_NEW_PRIVS) or inherited */
	__u16 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_posture) == 40, "ztai_posture layout");

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
	struct ztai_posture posture;
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_exec_event) == 144, "ztai_exec_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, posture) == 104, "exec.posture offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, parent) == 48, "exec.parent offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, exe_ino) == 80, "exec.exe_ino offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_exec_event, data) == 144, "exec.data offset");

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

/* A cgroup v2 directory was created or removed (cgroup_mkdir / cgroup_rmdir tracepoints).
 * Header: the task that did it. The path is relative to the root of the hierarchy as that task's
 * cgroup namespace sees it, so the agent checks it against the id before trusting it. */
#define ZTAI_CGROUP_PATH_MAX 1024 /* TRACE_CGROUP_PATH_LEN in kernel/cgroup/cgroup.c */

enum ztai_cgroup_flags {
	ZTAI_CGROUP_PATH_TRUNCATED = 1 << 0, /* the path did not fit ZTAI_CGROUP_PATH_MAX */
	ZTAI_CGROUP_PATH_UNREADABLE = 1 << 1,
};

struct ztai_cgroup_event {
	struct ztai_event_header hdr;
	__u64 id;        /* kernfs node id: the directory's inode, the value of bpf_get_current_cgroup_id() */
	__u32 level;     /* depth below the root (the root is 0) */
	__u16 flags;     /* enum ztai_cgroup_flags */
	__u16 path_len;  /* bytes of path used, NUL included */
	char path[ZTAI_CGROUP_PATH_MAX];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_cgroup_event) == 1088, "ztai_cgroup_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_cgroup_event, id) == 48, "cgroup.id offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_cgroup_event, path) == 64, "cgroup.path offset");

/* File syscalls. One record type; `syscall` says which call it was, so evt.type can name it
 * exactly as Falco does (open, openat, openat2, unlinkat...). */
enum ztai_file_syscall {
	ZTAI_FILE_OPEN = 1,
	ZTAI_FILE_OPENAT,
	ZTAI_FILE_OPENAT2,
	ZTAI_FILE_CREAT,
	ZTAI_FILE_UNLINK,
	ZTAI_FILE_UNLINKAT,
	ZTAI_FILE_RENAME,
	ZTAI_FILE_RENAMEAT,
	ZTAI_FILE_RENAMEAT2,
	ZTAI_FILE_CHMOD,
	ZTAI_FILE_FCHMOD,
	ZTAI_FILE_FCHMODAT,
	ZTAI_FILE_CHOWN,
	ZTAI_FILE_LCHOWN,
	ZTAI_FILE_FCHOWN,
	ZTAI_FILE_FCHOWNAT,
	ZTAI_FILE_MEMFD_CREATE,
	ZTAI_FILE_SYSCALL_MAX,
};

enum ztai_file_path_flags {
	ZTAI_PATH_RESOLVED = 1 << 0,   /* relative: joined to the cwd or the dirfd's directory */
	ZTAI_PATH_TRUNCATED = 1 << 1,  /* longer than the record can carry */
	ZTAI_PATH_UNREADABLE = 1 << 2, /* user memory or the directory walk could not be read */
	ZTAI_PATH_FROM_FD = 1 << 3,    /* fchmod/fchown: the path of the open file */
};

/* Header: the calling process. Followed by data[]: path (path_len bytes, NUL included), then for
 * renames the new path (path2_len bytes). */
struct ztai_file_event {
	struct ztai_event_header hdr;
	__s64 res;        /* return value: fd or 0 on success, -errno on failure */
	__u16 syscall;    /* enum ztai_file_syscall */
	__u16 path_flags; /* enum ztai_file_path_flags, for path */
	__u16 path2_flags;
	__u16 _pad0;
	__u32 flags;      /* open flags, unlinkat/renameat2/fchownat flags, memfd flags */
	__u32 mode;       /* open mode, chmod mode */
	__u32 uid;        /* chown target */
	__u32 gid;
	__u16 path_len;
	__u16 path2_len;
	__u32 _pad1;
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_file_event) == 88, "ztai_file_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_file_event, res) == 48, "file.res offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_file_event, flags) == 64, "file.flags offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_file_event, path_len) == 80, "file.path_len offset");

/* Network syscalls and TCP connection ends (bpf/net.bpf.c). One record for connect, accept,
 * bind, listen, sendto, sendmsg and the end of a TCP connection; the type says which. Addresses
 * describe the flow: source is the side that initiated it (the caller of connect, the peer of an
 * accept, the local address of bind/listen/sendto), destination the other side. */
#define ZTAI_NET_ADDR_LEN 16

enum ztai_net_flags {
	ZTAI_NET_NONBLOCKING = 1 << 0, /* connect returned EINPROGRESS; res is the handshake's outcome */
	ZTAI_NET_INBOUND = 1 << 1,     /* close: the connection was accepted, not connected */
	ZTAI_NET_ADDR_UNREADABLE = 1 << 2, /* the caller's sockaddr could not be read */
};

struct ztai_net_event {
	struct ztai_event_header hdr;
	__s64 res;       /* syscall result (0, fd, bytes) or -errno; connect: the outcome */
	__u64 bytes_out; /* close: payload bytes the local side sent (a retransmission counts once) */
	__u64 bytes_in;  /* close: payload bytes the local side received */
	__s32 fd;        /* -1 when unknown (a connection that ended outside a syscall) */
	__u16 family;    /* AF_INET, AF_INET6 */
	__u8 proto;      /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u8 flags;      /* enum ztai_net_flags */
	__u16 sport;     /* host byte order */
	__u16 dport;
	__u32 _pad;
	__u8 saddr[ZTAI_NET_ADDR_LEN]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[ZTAI_NET_ADDR_LEN];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_net_event) == 120, "ztai_net_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_net_event, fd) == 72, "net.fd offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_net_event, sport) == 80, "net.sport offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_net_event, saddr) == 88, "net.saddr offset");

/* A DNS message over UDP (bpf/dns.bpf.c), on the data ring: ZTAI_EVENT_DNS for an answer received
 * from port 53, ZTAI_EVENT_DNS_QUERY for a query sent to it. Header: the process whose socket
 * asked. Addresses as in ztai_net_event: source is the local side that asked, destination the
 * server. Followed by data[]: data_len bytes of the UDP payload. */
#define ZTAI_DNS_MAX_DATA 4096

enum ztai_dns_flags {
	ZTAI_DNS_TRUNCATED = 1 << 0, /* data[] holds less than the message (fragmented, not linear, > MAX_DATA) */
};

struct ztai_dns_event {
	struct ztai_event_header hdr;
	__u16 family;
	__u8 proto;
	__u8 flags;      /* enum ztai_dns_flags */
	__u16 sport;
	__u16 dport;
	__u8 saddr[ZTAI_NET_ADDR_LEN];
	__u8 daddr[ZTAI_NET_ADDR_LEN];
	__u32 msg_len;   /* bytes of the message on the wire */
	__u32 data_len;  /* bytes of data[] */
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_dns_event) == 96, "ztai_dns_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_dns_event, saddr) == 56, "dns.saddr offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_dns_event, msg_len) == 88, "dns.msg_len offset");

/* Which of the network, DNS and blind-spot records the kernel drops, because no loaded rule can
 * match them: one bit per type, in the single element of the net_skip array map. 0 (the value
 * before the agent writes it) emits everything. Connections are tracked either way. */
#define ZTAI_NET_SKIP_BIT(type) (1u << ((type) - ZTAI_EVENT_NET_CONNECT))

/* Blind spots (bpf/blindspot.bpf.c): io_uring submits file and network operations without the
 * syscalls the other sensors watch, and raw/packet sockets bypass the transport layer. These
 * records say that a process opened such a path. */
struct ztai_io_uring_setup_event {
	struct ztai_event_header hdr;
	__s64 res;       /* the ring's fd, or -errno */
	__u32 entries;   /* requested submission queue entries */
	__u32 flags;     /* io_uring_params.flags (IORING_SETUP_*) */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_io_uring_setup_event) == 64, "ztai_io_uring_setup_event layout");

/* socket(2) with SOCK_RAW, or in AF_PACKET. */
struct ztai_raw_socket_event {
	struct ztai_event_header hdr;
	__s64 res;       /* the fd, or -errno */
	__u32 domain;
	__u32 type;      /* SOCK_* without SOCK_NONBLOCK/SOCK_CLOEXEC */
	__u32 protocol;
	__u32 _pad;
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_raw_socket_event) == 72, "ztai_raw_socket_event layout");

/* Plaintext a process wrote or read (bpf/tls_*.bpf.c): at a TLS library's read/write call, or on
 * a socket or pipe. A call moving more than ZTAI_DATA_CHUNK bytes becomes several records, in
 * order; bytes past the per-call cap (ztai_kernel_config.data_max_call_bytes) are not copied and
 * counted (ztai_kernel_counters.data_truncated). On the data ring. Header: the calling thread.
 * Followed by data[]: data_len bytes, the call's bytes from call_offset on. */
#define ZTAI_DATA_CHUNK 16384
#define ZTAI_DATA_CALL_CAP (1u << 20)

enum ztai_data_source {
	ZTAI_DATA_OPENSSL = 1, /* SSL_read/SSL_write(_ex), from a library or an executable exporting them */
	ZTAI_DATA_GNUTLS = 2,  /* gnutls_record_recv/send */
	ZTAI_DATA_GO_TLS = 3,  /* Go crypto/tls (*Conn).Read/Write */
	ZTAI_DATA_SOCKET = 4,  /* read/write/send/recv on a TCP socket whose port is in data_ports */
	ZTAI_DATA_PIPE = 5,    /* read/write on a pipe or unix socket at fd 0 or 1 of a process in stdio_procs */
};

enum ztai_data_direction {
	ZTAI_DATA_EGRESS = 0,  /* written by the process */
	ZTAI_DATA_INGRESS = 1, /* read by it */
};

enum ztai_data_flags {
	ZTAI_DATA_TRUNCATED = 1 << 0, /* the call moved more than the cap: bytes after this record are missing */
	ZTAI_DATA_NO_SOCKET = 1 << 1, /* the session is not tied to a socket (memory BIO, unknown fd) */
	ZTAI_DATA_UNREADABLE = 1 << 2, /* the caller's buffer could not be read: data_len is 0 */
};

struct ztai_data_event {
	struct ztai_event_header hdr;
	__u64 conn_id;     /* the TLS session (SSL *, gnutls_session_t, *tls.Conn), the socket (struct sock *) or the pipe (its struct inode *) */
	__u64 stream_pos;  /* offset of data[0] in this direction's stream of the session */
	__u32 call_bytes;  /* bytes the call moved (its return value) */
	__u32 call_offset; /* offset of data[0] in the call */
	__s32 fd;          /* the socket the session uses, -1 when not known */
	__u16 family;      /* AF_INET, AF_INET6; 0 when not tied to a socket */
	__u8 source;       /* enum ztai_data_source */
	__u8 direction;    /* enum ztai_data_direction */
	__u16 lport;       /* local port, host byte order */
	__u16 rport;       /* remote port */
	__u32 flags;       /* enum ztai_data_flags */
	__u8 laddr[ZTAI_NET_ADDR_LEN]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 raddr[ZTAI_NET_ADDR_LEN];
	__u32 data_len;
	__u32 peer_tgid;   /* ZTAI_DATA_PIPE: the process at the pipes' other end (ztai_stdio_proc.client_tgid) */
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_data_event) == 128, "ztai_data_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_data_event, fd) == 72, "data.fd offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_data_event, laddr) == 88, "data.laddr offset");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_data_event, data_len) == 120, "data.data_len offset");

/* The first bytes a process wrote on a TCP connection it made, when they start a TLS handshake
 * record (bpf/sock_data.bpf.c): the ClientHello, from which the agent reads the server name
 * (SNI) of TLS stacks that are not hooked. On the data ring. Header: the writing thread. Followed
 * by data[]: data_len bytes, the first ones of the write (at most ZTAI_TLS_HELLO_MAX). */
#define ZTAI_TLS_HELLO_MAX 2048

struct ztai_tls_hello_event {
	struct ztai_event_header hdr;
	__u32 call_bytes; /* bytes the write moved */
	__u32 data_len;
	__s32 fd;
	__u16 family;     /* AF_INET, AF_INET6 */
	__u16 lport;      /* host byte order */
	__u16 rport;
	__u16 _pad[3];
	__u8 laddr[ZTAI_NET_ADDR_LEN]; /* network byte order; IPv4 in the first 4 bytes */
	__u8 raddr[ZTAI_NET_ADDR_LEN];
	__u8 data[];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_tls_hello_event) == 104, "ztai_tls_hello_event layout");
ZTAI_ABI_ASSERT(ZTAI_ABI_OFFSETOF(struct ztai_tls_hello_event, laddr) == 72, "tls_hello.laddr offset");

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
	__u64 file_filtered;               /* file events no rule or policy asked for, dropped in the kernel */
	__u64 net_untracked;               /* a network call or TCP connection not tracked (map full): its record is lost */
	__u64 net_filtered;                /* network, DNS, blind-spot events no rule asked for, dropped in the kernel */
	__u64 data_truncated;              /* plaintext bytes past the per-call cap, not copied */
	__u64 _reserved[1];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_kernel_counters) == 64, "ztai_kernel_counters layout");

#endif
