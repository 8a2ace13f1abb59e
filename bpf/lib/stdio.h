/* Which processes have their stdio pipes captured (MCP stdio servers): the stdio_procs map, kept
 * by the process family (inherited at fork, removed at exit) and read by the data family. */
#ifndef ZTAI_BPF_STDIO_H
#define ZTAI_BPF_STDIO_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "../abi/filter.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, struct ztai_stdio_proc);
} stdio_procs __weak SEC(".maps");

/* A child of a captured server is captured as well (npx, a shell or a wrapper may stand between
 * the client and the server that speaks JSON-RPC); a child of a client is a server whose client
 * is that parent. A full map leaves the child out: the agent selects it again at its exec. */
static __always_inline void stdio__inherit(__u32 parent, __u32 child)
{
	struct ztai_stdio_proc *p = bpf_map_lookup_elem(&stdio_procs, &parent);

	if (!p)
		return;
	struct ztai_stdio_proc c = {.client_tgid = p->client_tgid, .role = ZTAI_STDIO_SERVER};
	if (p->role == ZTAI_STDIO_CLIENT)
		c.client_tgid = parent;
	bpf_map_update_elem(&stdio_procs, &child, &c, BPF_ANY);
}

static __always_inline void stdio__forget(__u32 tgid)
{
	bpf_map_delete_elem(&stdio_procs, &tgid);
}

#endif
