/* In-kernel filters, written by the agent from what loaded rules and policies ask for, so the
 * kernel emits only events something can use. Maps, not load-time constants: rules reload live. */
#ifndef ZTAI_ABI_FILTER_H
#define ZTAI_ABI_FILTER_H

#include "types.h"

/* Path prefixes and exact paths are matched on the first ZTAI_FILTER_PATH_MAX bytes of the
 * absolute path; suffixes on its last ZTAI_FILTER_SUFFIX_MAX bytes, stored reversed so that one
 * longest-prefix-match lookup answers "ends with". */
#define ZTAI_FILTER_PATH_MAX 256
#define ZTAI_FILTER_SUFFIX_MAX 64

struct ztai_path_prefix_key {
	__u32 prefixlen; /* in bits, as BPF_MAP_TYPE_LPM_TRIE wants */
	__u8 path[ZTAI_FILTER_PATH_MAX];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_path_prefix_key) == 260, "ztai_path_prefix_key layout");

struct ztai_path_suffix_key {
	__u32 prefixlen;
	__u8 reversed[ZTAI_FILTER_SUFFIX_MAX];
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_path_suffix_key) == 68, "ztai_path_suffix_key layout");

enum ztai_path_match {
	ZTAI_MATCH_PREFIX = 1 << 0, /* the stored string starts the path */
	ZTAI_MATCH_EXACT = 1 << 1,  /* the stored string is the whole path */
};

struct ztai_path_match_value {
	__u32 len;   /* bytes of the stored string */
	__u32 match; /* enum ztai_path_match */
};

/* The single element of the file_filter_config array map. */
struct ztai_file_filter_config {
	__u32 enabled;     /* 0: the file sensor emits nothing (no rule or policy uses file events) */
	__u32 all_paths;   /* 1: every path is wanted (a rule matches files without a path constraint) */
	__u32 all_cgroups; /* 0: only cgroups in monitored_cgroups */
	__u32 tries;       /* enum ztai_filter_tries: which tries hold entries (an empty one is not searched) */
};

enum ztai_filter_tries {
	ZTAI_FILTER_HAS_PREFIXES = 1 << 0,
	ZTAI_FILTER_HAS_SUFFIXES = 1 << 1,
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_file_filter_config) == 16, "ztai_file_filter_config layout");

/* Processes whose stdio pipes are captured (MCP stdio servers), keyed by tgid in the stdio_procs
 * map. The agent adds the ones its selection names at exec; the kernel copies an entry to each
 * child at fork (a server started through npx or a shell keeps its pipes) and removes it when
 * the process exits. */
enum ztai_stdio_role {
	ZTAI_STDIO_CLIENT = 1, /* not captured itself: its children are, with it as their client */
	ZTAI_STDIO_SERVER = 2, /* its reads and writes on pipes at fd 0 and 1 are captured */
};

struct ztai_stdio_proc {
	__u32 client_tgid; /* the process that started the server (0: unknown) */
	__u32 role;        /* enum ztai_stdio_role */
};
ZTAI_ABI_ASSERT(sizeof(struct ztai_stdio_proc) == 8, "ztai_stdio_proc layout");

#endif
