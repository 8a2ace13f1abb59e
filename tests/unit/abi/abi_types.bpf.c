// SPDX-License-Identifier: GPL-2.0
/* One global of every ABI struct, so the BTF of this object (built with the same clang flags as
 * the agent's programs) describes their layout as the BPF compiler sees it. Records are only
 * ever pointed to in the programs, so their types do not all reach the agent object's BTF. */
#include "vmlinux.h"

#include "abi/config.h"
#include "abi/events.h"
#include "abi/filter.h"
#include "abi/policy.h"
#include "abi/guard.h"
#include "abi/selfguard.h"

struct ztai_proc_key abi_proc_key;
struct ztai_event_header abi_event_header;
struct ztai_exec_event abi_exec_event;
struct ztai_fork_event abi_fork_event;
struct ztai_exit_event abi_exit_event;
struct ztai_cgroup_event abi_cgroup_event;
struct ztai_net_event abi_net_event;
struct ztai_dns_event abi_dns_event;
struct ztai_io_uring_setup_event abi_io_uring_setup_event;
struct ztai_raw_socket_event abi_raw_socket_event;
struct ztai_file_event abi_file_event;
struct ztai_data_event abi_data_event;
struct ztai_tls_hello_event abi_tls_hello_event;
struct ztai_path_prefix_key abi_path_prefix_key;
struct ztai_path_suffix_key abi_path_suffix_key;
struct ztai_path_match_value abi_path_match_value;
struct ztai_stdio_proc abi_stdio_proc;
struct ztai_file_filter_config abi_file_filter_config;
struct ztai_kernel_counters abi_kernel_counters;
struct ztai_kernel_config abi_kernel_config;
struct ztai_policy_state abi_policy_state;
struct ztai_policy_cgroup_key abi_policy_cgroup_key;
struct ztai_policy_cgroup abi_policy_cgroup;
struct ztai_egress_key abi_egress_key;
struct ztai_egress_value abi_egress_value;
struct ztai_policy_denial_event abi_policy_denial_event;
struct ztai_endpoint_key abi_endpoint_key;
struct ztai_endpoint abi_endpoint;
struct ztai_ingress_key abi_ingress_key;
struct ztai_guard_workload abi_guard_workload;
struct ztai_guard_file_key abi_guard_file_key;
struct ztai_guard_entry abi_guard_entry;
struct ztai_guard_unix_key abi_guard_unix_key;
struct ztai_guard_denial_event abi_guard_denial_event;
struct ztai_selfguard_key abi_selfguard_key;
struct ztai_selfguard_config abi_selfguard_config;
struct ztai_selfguard_event abi_selfguard_event;

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
