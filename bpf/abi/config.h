/* Settings the agent writes into the BPF object's read-only data between open and load, so the
 * verifier sees them as constants and dead branches are pruned. */
#ifndef ZTAI_ABI_CONFIG_H
#define ZTAI_ABI_CONFIG_H

#include "types.h"

struct ztai_kernel_config {
	__u32 self_tgid;       /* the agent: never traced, or it feeds on its own syscalls */
	__u32 max_args_bytes;  /* argv bytes copied per exec, at most ZTAI_MAX_ARGS_CAP */
	__u64 wakeup_bytes[2]; /* per ring: wake the reader once this much is pending (else it polls) */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_kernel_config) == 24, "ztai_kernel_config layout");

#endif
