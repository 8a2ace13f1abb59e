// SPDX-License-Identifier: GPL-2.0
/* cgroup lifecycle: a cgroup v2 directory was created or removed. The agent keys workloads by
 * cgroup id; these records keep its id -> path cache current without rescanning, and let it drop
 * removed cgroups so the cache does not grow without bound. Only the default (v2) hierarchy is
 * reported: v1 hierarchies have their own ids, which no event header carries. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/cgroup.h"
#include "lib/emit.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int cgroup__emit(struct cgroup *cgrp, const char *path, __u16 type)
{
	if (!cgroup__is_v2(cgrp))
		return 0;
	struct ztai_cgroup_event *ev = emit__control_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	emit__fill_header(&ev->hdr, type, sizeof(*ev), bpf_get_current_task_btf());
	ev->id = BPF_CORE_READ(cgrp, kn, id);
	ev->level = BPF_CORE_READ(cgrp, level);
	ev->flags = 0;
	long n = bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), path);
	if (n < 0) {
		counters__read_error();
		ev->flags |= ZTAI_CGROUP_PATH_UNREADABLE;
		ev->path[0] = 0;
		n = 1;
	} else if (n == sizeof(ev->path)) {
		ev->flags |= ZTAI_CGROUP_PATH_TRUNCATED;
	}
	ev->path_len = n;
	emit__control_submit(ev);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return cgroup__emit(cgrp, path, ZTAI_EVENT_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return cgroup__emit(cgrp, path, ZTAI_EVENT_CGROUP_RMDIR);
}
