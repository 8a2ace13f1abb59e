/* Building absolute paths in BPF without bpf_d_path (which tracepoints cannot call): walk the
 * dentry chain up to the task's root, crossing mount points, and write the components backwards
 * into a buffer. Relative syscall paths are joined to the cwd or the dirfd's directory this way. */
#ifndef ZTAI_BPF_PATH_H
#define ZTAI_BPF_PATH_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "../abi/events.h"

#define PATH_WORK_SPLIT 4096 /* the walked directory ends here; what follows it starts at +1 */
#define PATH_WORK_BYTES (PATH_WORK_SPLIT + 1 + ZTAI_MAX_FILENAME + 256)
#define PATH_MAX_DEPTH 48

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))
#endif

#define AT_FDCWD_VALUE -100

struct path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u8 *buf;
	__u32 pos;
	__u16 flags;
};

/* One component per call, from bpf_loop: the verifier checks the body once instead of once per
 * iteration and per branch, which a 48-deep unrolled walk in 17 programs would exceed. */
static long path__walk_step(__u32 index, struct path_walk *w)
{
	/* Locals, not w->...: inside BPF_CORE_READ a member of this local struct would become a
	 * CO-RE relocation against a type the kernel does not have. */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		return 1;
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt)
			return 1; /* the top of this mount namespace */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = parent;
		w->vfsmnt = (struct vfsmount *)((void *)parent + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry)
		return 1;
	__u32 len = BPF_CORE_READ(dentry, d_name.len);
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	__u32 pos = w->pos;
	if (len > 255 || pos > PATH_WORK_SPLIT || len + 1 > pos) {
		w->flags |= ZTAI_PATH_TRUNCATED;
		return 1;
	}
	pos -= len + 1;
	if (pos >= PATH_WORK_SPLIT)
		return 1;
	__u8 *buf = w->buf;
	if (bpf_probe_read_kernel(buf + pos + 1, len & 255, name)) {
		w->flags |= ZTAI_PATH_UNREADABLE;
		return 1;
	}
	buf[pos] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/* Writes the path of (dentry, vfsmnt) so that it ends right before buf[PATH_WORK_SPLIT], and
 * returns where it starts. The root directory yields an empty string (start == SPLIT). */
static __always_inline __u32 path__walk(struct dentry *dentry, struct vfsmount *vfsmnt, __u8 *buf, __u16 *flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path_walk w = {
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
		.buf = buf,
		.pos = PATH_WORK_SPLIT,
	};
	long steps = bpf_loop(PATH_MAX_DEPTH, path__walk_step, &w, 0);
	if (steps >= PATH_MAX_DEPTH && !(w.dentry == w.root_dentry && w.vfsmnt == w.root_mnt))
		w.flags |= ZTAI_PATH_TRUNCATED; /* deeper than PATH_MAX_DEPTH: the top is missing */
	*flags |= w.flags;
	return w.pos;
}

/* The struct file behind a descriptor of the current task, or NULL. */
static __always_inline struct file *path__fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* Builds the absolute path of a syscall's (dirfd, user path) in buf and returns its start; the
 * string is NUL-terminated. *len gets its length, NUL included. */
static __always_inline __u32 path__resolve(int dirfd, const char *upath, __u8 *buf, __u32 *len, __u16 *flags)
{
	/* The user's string goes right after the split; a relative one gets its directory in front. */
	long n = bpf_probe_read_user_str(buf + PATH_WORK_SPLIT + 1, ZTAI_MAX_FILENAME, upath);
	if (n <= 0) {
		*flags |= ZTAI_PATH_UNREADABLE;
		buf[PATH_WORK_SPLIT + 1] = 0;
		*len = 1;
		return PATH_WORK_SPLIT + 1;
	}
	if (buf[PATH_WORK_SPLIT + 1] == '/') {
		*len = n;
		return PATH_WORK_SPLIT + 1;
	}

	struct dentry *dentry;
	struct vfsmount *mnt;
	if (dirfd == AT_FDCWD_VALUE) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		dentry = BPF_CORE_READ(task, fs, pwd.dentry);
		mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *dir = path__fd_file(dirfd);
		if (!dir) {
			*flags |= ZTAI_PATH_UNREADABLE;
			*len = n;
			return PATH_WORK_SPLIT + 1;
		}
		dentry = BPF_CORE_READ(dir, f_path.dentry);
		mnt = BPF_CORE_READ(dir, f_path.mnt);
	}
	__u32 start = path__walk(dentry, mnt, buf, flags);
	if (start > PATH_WORK_SPLIT)
		start = PATH_WORK_SPLIT;
	*flags |= ZTAI_PATH_RESOLVED;
	buf[PATH_WORK_SPLIT] = '/';
	*len = (PATH_WORK_SPLIT - start) + 1 + n;
	return start;
}

/* The absolute path of an open descriptor (fchmod, fchown). */
static __always_inline __u32 path__of_fd(int fd, __u8 *buf, __u32 *len, __u16 *flags)
{
	*flags |= ZTAI_PATH_FROM_FD;
	struct file *file = path__fd_file(fd);
	buf[PATH_WORK_SPLIT] = 0;
	if (!file) {
		*flags |= ZTAI_PATH_UNREADABLE;
		*len = 1;
		return PATH_WORK_SPLIT;
	}
	__u32 start = path__walk(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), buf, flags);
	if (start >= PATH_WORK_SPLIT) {
		buf[PATH_WORK_SPLIT - 1] = '/';
		start = PATH_WORK_SPLIT - 1;
	}
	*len = PATH_WORK_SPLIT - start + 1;
	return start;
}

#endif
