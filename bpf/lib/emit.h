/* Writing records to the ring buffers: header filling, wakeup policy, drop counting. */
#ifndef ZTAI_BPF_EMIT_H
#define ZTAI_BPF_EMIT_H

#include "maps.h"
#include "task.h"

static __always_inline struct ztai_kernel_counters *counters__get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline void counters__ring_drop(enum ztai_ring ring)
{
	struct ztai_kernel_counters *c = counters__get();
	if (c && ring < ZTAI_RING_COUNT)
		__sync_fetch_and_add(&c->ring_drops[ring], 1);
}

static __always_inline void counters__read_error(void)
{
	struct ztai_kernel_counters *c = counters__get();
	if (c)
		__sync_fetch_and_add(&c->read_errors, 1);
}

/* A wakeup per record costs about 1.5 us here; the reader polls on a timer instead and is woken
 * early only once a ring holds wakeup_bytes, so a burst cannot overflow it between polls. */
static __always_inline __u64 emit__wakeup_flags(void *ring, enum ztai_ring which)
{
	__u64 threshold = ztai_config.wakeup_bytes[which & 1];

	if (threshold && bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= threshold)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit__fill_header(struct ztai_event_header *hdr, __u16 type, __u32 size,
					      struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	hdr->type = type;
	hdr->_pad0 = 0;
	hdr->size = size;
	hdr->ktime_ns = bpf_ktime_get_boot_ns();
	hdr->tid = (__u32)pid_tgid;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->proc = task__proc_key(task);
	hdr->cgroup_id = bpf_get_current_cgroup_id();
}

/* Copies a record built in scratch space to the control ring. */
static __always_inline void emit__control_copy(void *record, __u64 size)
{
	if (bpf_ringbuf_output(&control_rb, record, size, emit__wakeup_flags(&control_rb, ZTAI_RING_CONTROL)))
		counters__ring_drop(ZTAI_RING_CONTROL);
}

/* Copies a bulk record (payload bytes) built in scratch space to the data ring. */
static __always_inline void emit__data_copy(void *record, __u64 size)
{
	if (bpf_ringbuf_output(&data_rb, record, size, emit__wakeup_flags(&data_rb, ZTAI_RING_DATA)))
		counters__ring_drop(ZTAI_RING_DATA);
}

/* Reserves a fixed-size control record; NULL (and counted) when the ring is full. */
static __always_inline void *emit__control_reserve(__u64 size)
{
	void *record = bpf_ringbuf_reserve(&control_rb, size, 0);
	if (!record)
		counters__ring_drop(ZTAI_RING_CONTROL);
	return record;
}

static __always_inline void emit__control_submit(void *record)
{
	bpf_ringbuf_submit(record, emit__wakeup_flags(&control_rb, ZTAI_RING_CONTROL));
}

/* True when the current task belongs to the agent itself. */
static __always_inline bool filter__is_self(void)
{
	return ztai_config.self_tgid && (bpf_get_current_pid_tgid() >> 32) == ztai_config.self_tgid;
}

#endif
