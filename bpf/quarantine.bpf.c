// SPDX-License-Identifier: GPL-2.0
/* Quarantine's connection cut: a TCP socket iterator (iter/tcp) that aborts every connection of a
 * quarantined cgroup with bpf_sock_destroy (the peer gets a reset, the owner ECONNABORTED) and
 * writes each aborted socket's cookie to the reader, which counts them. Run by the agent once per
 * network namespace after it has written ztai_quarantine; new connects are already denied there. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "lib/policy.h"

char LICENSE[] SEC("license") = "GPL";

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

SEC("iter/tcp")
int quarantine_cut(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (!skc)
		return 0;
	/* Listeners stay: quarantine cuts what the workload has open, its own service may be
	 * segmented separately. Time-wait and request sockets carry no cgroup. */
	__u8 state = BPF_CORE_READ(skc, skc_state);
	if (state == TCP_LISTEN || state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return 0;
	struct sock *sk = (struct sock *)skc;
	__u64 cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	if (!bpf_map_lookup_elem(&ztai_quarantine, &cgroup_id))
		return 0;
	__u64 cookie = bpf_get_socket_cookie(skc);
	if (bpf_sock_destroy(skc) == 0)
		bpf_seq_write(ctx->meta->seq, &cookie, sizeof(cookie));
	return 0;
}
