/* Socket reads shared by the network families: the socket behind an fd, addresses of a sock,
 * and a caller's sockaddr. */
#ifndef ZTAI_BPF_NET_H
#define ZTAI_BPF_NET_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "../abi/events.h"
#include "emit.h"

/* Not in vmlinux.h: uapi macros. */
#define ZTAI_AF_UNIX 1
#define ZTAI_AF_INET 2
#define ZTAI_AF_INET6 10
#define ZTAI_AF_PACKET 17
#define ZTAI_S_IFMT 00170000
#define ZTAI_S_IFSOCK 0140000
#define ZTAI_S_IFIFO 0010000
#define ZTAI_EINPROGRESS 115

/* Tracepoint contexts as the tracepoint formats lay them out. vmlinux.h's trace_event_raw_*
 * types carry CO-RE relocations, and a relocated offset into the context is rejected by the
 * verifier ("dereference of modified ctx ptr"); these formats are stable ABI. */
struct ztai_sys_enter_ctx {
	__u64 _common;
	long id;
	unsigned long args[6];
};

struct ztai_sys_exit_ctx {
	__u64 _common;
	long id;
	long ret;
};

struct ztai_sock_state_ctx {
	__u64 _common;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

/* The file at fd in the current task's table, NULL when there is none. The walk to the table is
 * loads through the task's BTF pointer, inlined; only the slot is a helper read (the table is
 * an array of pointers, which BTF does not type): it runs on every read and write. */
static __always_inline struct file *net__file_of_fd(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), (void *)fdt->fd + fd * sizeof(file)))
		return NULL;
	return file;
}

/* The sock behind an open file, NULL when it is not a socket. */
static __always_inline struct sock *net__sock_of_file(struct file *file)
{
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & ZTAI_S_IFMT) != ZTAI_S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The sock behind a file descriptor of the current task, NULL when it is not a socket. */
static __always_inline struct sock *net__sock_of_fd(long fd)
{
	return net__sock_of_file(net__file_of_fd(fd));
}

/* The local end of a sock (bound address and port). BPF_CORE_READ_INTO copies sizeof(*dst):
 * the casts give it the address's size. */
static __always_inline void net__sock_local(struct sock *sk, __u16 family, __u8 addr[ZTAI_NET_ADDR_LEN], __u16 *port)
{
	*port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == ZTAI_AF_INET6)
		BPF_CORE_READ_INTO((struct in6_addr *)addr, sk, __sk_common.skc_v6_rcv_saddr);
	else
		BPF_CORE_READ_INTO((__u32 *)addr, sk, __sk_common.skc_rcv_saddr);
}

/* The remote end of a connected sock. */
static __always_inline void net__sock_remote(struct sock *sk, __u16 family, __u8 addr[ZTAI_NET_ADDR_LEN], __u16 *port)
{
	*port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == ZTAI_AF_INET6)
		BPF_CORE_READ_INTO((struct in6_addr *)addr, sk, __sk_common.skc_v6_daddr);
	else
		BPF_CORE_READ_INTO((__u32 *)addr, sk, __sk_common.skc_daddr);
}

/* Reads a caller's sockaddr_in/in6. Returns its family, 0 for other families, -1 when unreadable. */
static __always_inline int net__read_sockaddr(const void *uaddr, __u32 len, __u8 addr[ZTAI_NET_ADDR_LEN], __u16 *port)
{
	__u16 family = 0;

	if (!uaddr || len < sizeof(family))
		return -1;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr))
		return -1;
	if (family == ZTAI_AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof(sin) || bpf_probe_read_user(&sin, sizeof(sin), uaddr))
			return -1;
		*port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(addr, &sin.sin_addr.s_addr, 4);
		return family;
	}
	if (family == ZTAI_AF_INET6) {
		struct sockaddr_in6 sin6;
		if (len < sizeof(sin6) || bpf_probe_read_user(&sin6, sizeof(sin6), uaddr))
			return -1;
		*port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(addr, sin6.sin6_addr.in6_u.u6_addr8, 16);
		return family;
	}
	return 0;
}

/* UDP sockets that sent to port 53, by local port, with the sender's identity: answers arrive in
 * softirq context (on loopback, the server's), so the DNS sensor attributes them through this.
 * LRU: a socket that stops asking ages out. */
#define ZTAI_DNS_PORT 53

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* family << 16 | local port */
	__type(value, struct ztai_event_header);
} dns_clients __weak SEC(".maps");

static __always_inline __u32 net__dns_client_key(__u16 family, __u16 port)
{
	return (__u32)family << 16 | port;
}

/* Remembers the sender of a UDP datagram or connect to port 53. */
static __always_inline void net__remember_dns_client(const struct ztai_net_event *ev)
{
	if (ev->proto != IPPROTO_UDP || ev->dport != ZTAI_DNS_PORT || ev->res < 0 || !ev->sport)
		return;
	__u32 key = net__dns_client_key(ev->family, ev->sport);
	bpf_map_update_elem(&dns_clients, &key, &ev->hdr, BPF_ANY);
}

static __always_inline void counters__net_untracked(void)
{
	struct ztai_kernel_counters *c = counters__get();
	if (c)
		__sync_fetch_and_add(&c->net_untracked, 1);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* ZTAI_NET_SKIP_BIT of each record type to drop */
} net_skip __weak SEC(".maps");

/* False, and counted, when no rule can use records of this type. */
static __always_inline bool net__wanted(__u16 type)
{
	__u32 zero = 0;
	__u32 *skip = bpf_map_lookup_elem(&net_skip, &zero);

	if (!skip || !(*skip & ZTAI_NET_SKIP_BIT(type)))
		return true;
	struct ztai_kernel_counters *c = counters__get();
	if (c)
		__sync_fetch_and_add(&c->net_filtered, 1);
	return false;
}

/* Copies a network record to the control ring, unless no rule wants its type. */
static __always_inline void net__emit(struct ztai_net_event *ev)
{
	if (net__wanted(ev->hdr.type))
		emit__control_copy(ev, sizeof(*ev));
}

/* Header of a record about a process that is not necessarily current (a TCP state change runs
 * in softirq or timer context): identity from the record kept when the process acted. */
static __always_inline void net__fill_header_from(struct ztai_event_header *hdr, __u16 type, __u32 size,
						  const struct ztai_event_header *owner)
{
	hdr->type = type;
	hdr->_pad0 = 0;
	hdr->size = size;
	hdr->ktime_ns = bpf_ktime_get_boot_ns();
	hdr->tid = owner->tid;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->proc = owner->proc;
	hdr->cgroup_id = owner->cgroup_id;
}

#endif
