/* Settings the agent writes into the BPF object's read-only data between open and load, so the
 * verifier sees them as constants and dead branches are pruned. */
#ifndef ZTAI_ABI_CONFIG_H
#define ZTAI_ABI_CONFIG_H

#include "types.h"

/* Uprobes on a library file trap every process that maps it; the programs return at once for
 * processes outside the scope. */
enum ztai_data_scope {
	ZTAI_DATA_SCOPE_ALL = 0,
	ZTAI_DATA_SCOPE_CGROUPS = 1, /* only tasks whose cgroup id is in the data_cgroups map */
};

struct ztai_kernel_config {
	__u32 self_tgid;       /* the agent: never traced, or it feeds on its own syscalls */
	__u32 max_args_bytes;  /* argv bytes copied per exec, at most ZTAI_MAX_ARGS_CAP */
	__u64 wakeup_bytes[2]; /* per ring: wake the reader once this much is pending (else it polls) */
	__u32 data_max_call_bytes; /* plaintext bytes copied per TLS call, at most ZTAI_DATA_CALL_CAP */
	__u32 data_scope;          /* enum ztai_data_scope: which processes the TLS uprobes capture */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_kernel_config) == 32, "ztai_kernel_config layout");

#endif
