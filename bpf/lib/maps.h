/* Maps and load-time settings shared by every program family. Declared __weak so that each
 * family's object can include this header and `bpftool gen object` merges them into one. */
#ifndef ZTAI_BPF_MAPS_H
#define ZTAI_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "../abi/config.h"
#include "../abi/events.h"

const volatile struct ztai_kernel_config ztai_config __weak = {
	.max_args_bytes = 4096,
};

/* Sizes are set by the agent (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} control_rb __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} data_rb __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ztai_kernel_counters);
} counters __weak SEC(".maps");

/* Scratch space for records too large for the BPF stack; one per CPU, programs do not nest on a
 * CPU for the tracepoints that use it. */
#define ZTAI_SCRATCH_BYTES (sizeof(struct ztai_exec_event) + ZTAI_MAX_FILENAME + ZTAI_MAX_ARGS_CAP)
struct ztai_scratch {
	__u8 bytes[ZTAI_SCRATCH_BYTES];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ztai_scratch);
} scratch __weak SEC(".maps");

#endif
