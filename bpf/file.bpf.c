// SPDX-License-Identifier: GPL-2.0
/* File syscalls: open*, unlink*, rename*, chmod*, chown*, memfd_create. One program per
 * syscall at its exit tracepoint, which knows the result; the arguments come from the saved user
 * registers, so no per-thread state is kept between entry and exit. Paths are made absolute
 * (cwd or dirfd) and filtered here by what rules and policies ask for: prefixes and exact paths
 * through one LPM trie, suffixes through another on the reversed tail. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/filter.h"
#include "lib/emit.h"
#include "lib/path.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ztai_file_filter_config);
} file_filter_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__type(key, struct ztai_path_prefix_key);
	__type(value, struct ztai_path_match_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} file_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct ztai_path_suffix_key);
	__type(value, struct ztai_path_match_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} file_suffixes SEC(".maps");

/* Workloads whose file events are wanted when the filter is not for all cgroups. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} file_cgroups SEC(".maps");

#define FILE_RECORD_DATA (2 * ZTAI_MAX_FILENAME)
struct file_scratch {
	__u8 record[sizeof(struct ztai_file_event) + FILE_RECORD_DATA]; /* header, then paths */
	__u8 work[PATH_WORK_BYTES];
	struct ztai_path_prefix_key prefix_key;
	struct ztai_path_suffix_key suffix_key;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch);
} file_scratch_map SEC(".maps");

/* What one syscall passes to the common handler. */
struct file_call {
	__u16 syscall;
	int dirfd;        /* AT_FDCWD_VALUE for calls without one */
	const char *path; /* NULL: the path of fd */
	int fd;
	int dirfd2;
	const char *path2; /* renames */
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
};

static __always_inline struct ztai_kernel_counters *file__counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

/* Does any prefix, exact path or suffix in the filter match the path at work[start] (len includes
 * the NUL)? This runs for every hooked syscall of every watched workload, matched or not, so it
 * copies only the bytes the tries compare and reads the tail straight from the map value instead
 * of one helper call per byte. */
static __always_inline bool file__path_wanted(struct file_scratch *s, __u32 tries, __u32 start, __u32 len)
{
	if (len < 2 || len > ZTAI_MAX_FILENAME || start >= PATH_WORK_BYTES - ZTAI_MAX_FILENAME)
		return false;
	__u32 slen = len - 1;

	if (tries & ZTAI_FILTER_HAS_PREFIXES) {
		/* Bytes past prefixlen are ignored by the trie, so stale ones from an earlier path do no
		 * harm. */
		__u32 n = slen < ZTAI_FILTER_PATH_MAX ? slen : ZTAI_FILTER_PATH_MAX;
		if (bpf_probe_read_kernel(s->prefix_key.path, ((n - 1) & (ZTAI_FILTER_PATH_MAX - 1)) + 1,
					  s->work + start) == 0) {
			s->prefix_key.prefixlen = n * 8;
			struct ztai_path_match_value *v = bpf_map_lookup_elem(&file_prefixes, &s->prefix_key);
			if (v && ((v->match & ZTAI_MATCH_PREFIX) || ((v->match & ZTAI_MATCH_EXACT) && v->len == slen)))
				return true;
		}
	}

	if (!(tries & ZTAI_FILTER_HAS_SUFFIXES))
		return false;
	__u32 m = slen < ZTAI_FILTER_SUFFIX_MAX ? slen : ZTAI_FILTER_SUFFIX_MAX;
	__u32 last = start + slen - 1;
	for (__u32 i = 0; i < ZTAI_FILTER_SUFFIX_MAX; i++) {
		if (i >= m)
			break;
		__u32 at = last - i;
		if (at >= PATH_WORK_BYTES)
			break;
		s->suffix_key.reversed[i] = s->work[at];
	}
	s->suffix_key.prefixlen = m * 8;
	return bpf_map_lookup_elem(&file_suffixes, &s->suffix_key) != NULL;
}

/* Copies a resolved path from the work area into the record at offset `at`; returns its length. */
static __always_inline __u32 file__store_path(struct file_scratch *s, __u32 at, __u32 start, __u32 len, __u16 *flags)
{
	if (len > ZTAI_MAX_FILENAME) {
		len = ZTAI_MAX_FILENAME;
		*flags |= ZTAI_PATH_TRUNCATED;
	}
	if (at > ZTAI_MAX_FILENAME || start >= PATH_WORK_BYTES - ZTAI_MAX_FILENAME || len == 0)
		return 0;
	if (bpf_probe_read_kernel(s->record + sizeof(struct ztai_file_event) + at, len, s->work + start))
		return 0;
	s->record[sizeof(struct ztai_file_event) + ((at + len - 1) & (FILE_RECORD_DATA - 1))] = 0;
	return len;
}

static __always_inline int file__handle(struct file_call *call, long ret)
{
	__u32 zero = 0;
	struct ztai_file_filter_config *cfg = bpf_map_lookup_elem(&file_filter_config, &zero);
	if (!cfg || !cfg->enabled || filter__is_self())
		return 0;
	if (!cfg->all_cgroups) {
		__u64 cgroup = bpf_get_current_cgroup_id();
		if (!bpf_map_lookup_elem(&file_cgroups, &cgroup))
			return 0;
	}
	struct file_scratch *s = bpf_map_lookup_elem(&file_scratch_map, &zero);
	if (!s)
		return 0;

	struct ztai_file_event *ev = (struct ztai_file_event *)s->record;
	ev->path_flags = 0;
	ev->path2_flags = 0;
	__u32 len = 0, start;
	if (call->syscall == ZTAI_FILE_MEMFD_CREATE) {
		/* Not a path: named as /proc shows it, "memfd:NAME". */
		__builtin_memcpy(s->work + PATH_WORK_SPLIT - 6, "memfd:", 6);
		long n = bpf_probe_read_user_str(s->work + PATH_WORK_SPLIT, 256, call->path);
		start = PATH_WORK_SPLIT - 6;
		len = 6 + (n > 0 ? n : 1);
		if (n <= 0)
			s->work[PATH_WORK_SPLIT] = 0;
	} else if (call->path) {
		start = path__resolve(call->dirfd, call->path, s->work, &len, &ev->path_flags);
	} else {
		start = path__of_fd(call->fd, s->work, &len, &ev->path_flags);
	}
	if (start >= PATH_WORK_BYTES)
		return 0;

	bool wanted = cfg->all_paths || file__path_wanted(s, cfg->tries, start, len);
	/* A rename's second path reuses the work area, so its first path is kept before it is
	 * resolved; other calls copy nothing until the filter said yes. */
	__u32 path_len = 0, path2_len = 0;
	if (wanted || call->path2)
		path_len = file__store_path(s, 0, start, len, &ev->path_flags);
	if (call->path2) {
		__u32 len2 = 0;
		__u32 start2 = path__resolve(call->dirfd2, call->path2, s->work, &len2, &ev->path2_flags);
		wanted = wanted || file__path_wanted(s, cfg->tries, start2, len2);
		path2_len = file__store_path(s, path_len, start2, len2, &ev->path2_flags);
	}
	if (!wanted) {
		struct ztai_kernel_counters *c = file__counters();
		if (c)
			__sync_fetch_and_add(&c->file_filtered, 1);
		return 0;
	}

	ev->res = ret;
	ev->syscall = call->syscall;
	ev->_pad0 = 0;
	ev->flags = call->flags;
	ev->mode = call->mode;
	ev->uid = call->uid;
	ev->gid = call->gid;
	ev->path_len = path_len;
	ev->path2_len = path2_len;
	ev->_pad1 = 0;
	__u64 size = sizeof(*ev) + path_len + path2_len;
	emit__fill_header(&ev->hdr, ZTAI_EVENT_FILE, size, (struct task_struct *)bpf_get_current_task());
	if (size > sizeof(*ev) + FILE_RECORD_DATA)
		return 0;
	emit__control_copy(ev, size);
	return 0;
}

#define ARG(n) PT_REGS_PARM##n##_SYSCALL(regs)

#define FILE_EXIT(sys) \
	SEC("tracepoint/syscalls/sys_exit_" #sys) int file_exit_##sys(struct trace_event_raw_sys_exit *ctx)

FILE_EXIT(open)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_OPEN, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .flags = (__u32)ARG(2), .mode = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(openat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_OPENAT, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .flags = (__u32)ARG(3), .mode = (__u32)ARG(4)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(openat2)
{
	struct pt_regs *regs = task__user_regs();
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ARG(3));
	struct file_call c = {.syscall = ZTAI_FILE_OPENAT2, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .flags = (__u32)how.flags, .mode = (__u32)how.mode};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(creat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_CREAT, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .flags = 01101 /* O_CREAT | O_WRONLY | O_TRUNC */, .mode = (__u32)ARG(2)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(unlink)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_UNLINK, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(unlinkat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_UNLINKAT, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .flags = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(rename)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_RENAME, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .dirfd2 = AT_FDCWD_VALUE, .path2 = (const char *)ARG(2)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(renameat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_RENAMEAT, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .dirfd2 = (int)ARG(3), .path2 = (const char *)ARG(4)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(renameat2)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_RENAMEAT2, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .dirfd2 = (int)ARG(3), .path2 = (const char *)ARG(4), .flags = (__u32)ARG(5)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(chmod)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_CHMOD, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .mode = (__u32)ARG(2)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(fchmod)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_FCHMOD, .fd = (int)ARG(1), .mode = (__u32)ARG(2)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(fchmodat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_FCHMODAT, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .mode = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(chown)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_CHOWN, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .uid = (__u32)ARG(2), .gid = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(lchown)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_LCHOWN, .dirfd = AT_FDCWD_VALUE, .path = (const char *)ARG(1),
			      .uid = (__u32)ARG(2), .gid = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(fchown)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_FCHOWN, .fd = (int)ARG(1), .uid = (__u32)ARG(2),
			      .gid = (__u32)ARG(3)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(fchownat)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_FCHOWNAT, .dirfd = (int)ARG(1), .path = (const char *)ARG(2),
			      .uid = (__u32)ARG(3), .gid = (__u32)ARG(4), .flags = (__u32)ARG(5)};
	return file__handle(&c, ctx->ret);
}

FILE_EXIT(memfd_create)
{
	struct pt_regs *regs = task__user_regs();
	struct file_call c = {.syscall = ZTAI_FILE_MEMFD_CREATE, .path = (const char *)ARG(1),
			      .flags = (__u32)ARG(2)};
	return file__handle(&c, ctx->ret);
}
