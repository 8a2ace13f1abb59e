/* Reads of struct cgroup shared by the families that follow cgroup lifecycle. */
#ifndef ZTAI_BPF_CGROUP_H
#define ZTAI_BPF_CGROUP_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* The default hierarchy is set up first at boot and gets hierarchy id 0. */
static __always_inline bool cgroup__is_v2(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

/* cgroup v2 id of the parent; 0 for the root. */
static __always_inline __u64 cgroup__parent_id(struct cgroup *cgrp)
{
	struct cgroup_subsys_state *parent = BPF_CORE_READ(cgrp, self.parent);

	if (!parent)
		return 0;
	return BPF_CORE_READ(parent, cgroup, kn, id);
}

#endif
