/* Fixed-width types for the kernel<->userspace ABI. BPF programs get them from vmlinux.h,
 * userspace from linux/types.h; the ABI headers include only this file. */
#ifndef ZTAI_ABI_TYPES_H
#define ZTAI_ABI_TYPES_H

#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#endif

/* Layout checks run in both compilers: clang -target bpf and the host C++ compiler. */
#ifdef __cplusplus
#define ZTAI_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define ZTAI_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define ZTAI_ABI_OFFSETOF(type, member) __builtin_offsetof(type, member)

#endif
