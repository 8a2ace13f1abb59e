// SPDX-License-Identifier: GPL-2.0
/* The floor of the overhead benchmark: the cheapest program that runs on every syscall. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tracepoint/sys_enter")
int bench_empty_sys_enter(void *ctx)
{
	return 0;
}
