// The ABI structs must have one layout in clang -target bpf and in the host C++ compiler. The
// headers assert sizes in both; this test also reads the BTF of a BPF object built from the same
// headers with the same flags and compares every member offset with offsetof() here.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include <bpf/btf.h>

#include "bpf/abi/config.h"
#include "bpf/abi/events.h"
#include "bpf/abi/filter.h"
#include "bpf/abi/policy.h"
#include "bpf/abi/guard.h"
#include "bpf/abi/selfguard.h"

namespace {

struct Member {
  const char* name;
  size_t offset;
};

class BtfLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    btf_ = btf__parse_elf(ZTAI_ABI_OBJECT, nullptr);
    ASSERT_NE(btf_, nullptr) << "cannot read BTF from " << ZTAI_ABI_OBJECT;
  }
  void TearDown() override { btf__free(btf_); }

  void expect_layout(const char* type, size_t size, std::initializer_list<Member> members) {
    int id = btf__find_by_name_kind(btf_, type, BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << type << " is not in the BTF of " << ZTAI_ABI_OBJECT;
    const btf_type* t = btf__type_by_id(btf_, id);
    EXPECT_EQ(t->size, size) << type;
    const btf_member* m = btf_members(t);
    for (const Member& want : members) {
      bool found = false;
      for (int i = 0; i < btf_vlen(t); ++i) {
        if (std::string(btf__name_by_offset(btf_, m[i].name_off)) == want.name) {
          EXPECT_EQ(btf_member_bit_offset(t, i) / 8, want.offset) << type << "." << want.name;
          found = true;
        }
      }
      EXPECT_TRUE(found) << type << "." << want.name << " missing in BTF";
    }
  }

  btf* btf_ = nullptr;
};

#define M(type, field) Member{#field, offsetof(type, field)}

TEST_F(BtfLayout, EventHeader) {
  expect_layout("ztai_event_header", sizeof(ztai_event_header),
                {M(ztai_event_header, type), M(ztai_event_header, size), M(ztai_event_header, ktime_ns),
                 M(ztai_event_header, tid), M(ztai_event_header, cpu), M(ztai_event_header, proc),
                 M(ztai_event_header, cgroup_id)});
  expect_layout("ztai_proc_key", sizeof(ztai_proc_key), {M(ztai_proc_key, tgid), M(ztai_proc_key, start_ticks)});
}

TEST_F(BtfLayout, ProcessPayloads) {
  expect_layout("ztai_exec_event", sizeof(ztai_exec_event),
                {M(ztai_exec_event, hdr), M(ztai_exec_event, parent), M(ztai_exec_event, uid),
                 M(ztai_exec_event, gid), M(ztai_exec_event, euid), M(ztai_exec_event, egid),
                 M(ztai_exec_event, exe_ino), M(ztai_exec_event, exe_dev), M(ztai_exec_event, old_tid),
                 M(ztai_exec_event, flags), M(ztai_exec_event, filename_len), M(ztai_exec_event, args_len),
                 M(ztai_exec_event, posture), M(ztai_exec_event, data)});
  expect_layout("ztai_posture", sizeof(ztai_posture),
                {M(ztai_posture, cap_effective), M(ztai_posture, cap_permitted), M(ztai_posture, cap_bounding),
                 M(ztai_posture, pid_ns), M(ztai_posture, net_ns), M(ztai_posture, mnt_ns), M(ztai_posture, seccomp),
                 M(ztai_posture, no_new_privs)});
  expect_layout("ztai_fork_event", sizeof(ztai_fork_event),
                {M(ztai_fork_event, hdr), M(ztai_fork_event, child), M(ztai_fork_event, parent),
                 M(ztai_fork_event, child_cgroup_id), M(ztai_fork_event, child_tid)});
  expect_layout("ztai_exit_event", sizeof(ztai_exit_event), {M(ztai_exit_event, hdr), M(ztai_exit_event, status)});
}

TEST_F(BtfLayout, CgroupPayload) {
  expect_layout("ztai_cgroup_event", sizeof(ztai_cgroup_event),
                {M(ztai_cgroup_event, hdr), M(ztai_cgroup_event, id), M(ztai_cgroup_event, level),
                 M(ztai_cgroup_event, flags), M(ztai_cgroup_event, path_len), M(ztai_cgroup_event, path)});
}

TEST_F(BtfLayout, NetworkPayloads) {
  expect_layout("ztai_net_event", sizeof(ztai_net_event),
                {M(ztai_net_event, hdr), M(ztai_net_event, res), M(ztai_net_event, bytes_out),
                 M(ztai_net_event, bytes_in), M(ztai_net_event, fd), M(ztai_net_event, family),
                 M(ztai_net_event, proto), M(ztai_net_event, flags), M(ztai_net_event, sport),
                 M(ztai_net_event, dport), M(ztai_net_event, saddr), M(ztai_net_event, daddr)});
  expect_layout("ztai_dns_event", sizeof(ztai_dns_event),
                {M(ztai_dns_event, hdr), M(ztai_dns_event, family), M(ztai_dns_event, proto),
                 M(ztai_dns_event, flags), M(ztai_dns_event, sport), M(ztai_dns_event, dport),
                 M(ztai_dns_event, saddr), M(ztai_dns_event, daddr), M(ztai_dns_event, msg_len),
                 M(ztai_dns_event, data_len), M(ztai_dns_event, data)});
  expect_layout("ztai_io_uring_setup_event", sizeof(ztai_io_uring_setup_event),
                {M(ztai_io_uring_setup_event, hdr), M(ztai_io_uring_setup_event, res),
                 M(ztai_io_uring_setup_event, entries), M(ztai_io_uring_setup_event, flags)});
  expect_layout("ztai_raw_socket_event", sizeof(ztai_raw_socket_event),
                {M(ztai_raw_socket_event, hdr), M(ztai_raw_socket_event, res), M(ztai_raw_socket_event, domain),
                 M(ztai_raw_socket_event, type), M(ztai_raw_socket_event, protocol)});
}

TEST_F(BtfLayout, DataPayload) {
  expect_layout("ztai_data_event", sizeof(ztai_data_event),
                {M(ztai_data_event, hdr), M(ztai_data_event, conn_id), M(ztai_data_event, stream_pos),
                 M(ztai_data_event, call_bytes), M(ztai_data_event, call_offset), M(ztai_data_event, fd),
                 M(ztai_data_event, family), M(ztai_data_event, source), M(ztai_data_event, direction),
                 M(ztai_data_event, lport), M(ztai_data_event, rport), M(ztai_data_event, flags),
                 M(ztai_data_event, laddr), M(ztai_data_event, raddr), M(ztai_data_event, data_len),
                 M(ztai_data_event, peer_tgid), M(ztai_data_event, data)});
  expect_layout("ztai_kernel_config", sizeof(ztai_kernel_config),
                {M(ztai_kernel_config, data_max_call_bytes), M(ztai_kernel_config, data_scope)});
  expect_layout("ztai_kernel_counters", sizeof(ztai_kernel_counters), {M(ztai_kernel_counters, data_truncated)});
}

TEST_F(BtfLayout, FilePayloadAndFilter) {
  expect_layout("ztai_file_event", sizeof(ztai_file_event),
                {M(ztai_file_event, hdr), M(ztai_file_event, res), M(ztai_file_event, syscall),
                 M(ztai_file_event, path_flags), M(ztai_file_event, path2_flags), M(ztai_file_event, flags),
                 M(ztai_file_event, mode), M(ztai_file_event, uid), M(ztai_file_event, gid),
                 M(ztai_file_event, path_len), M(ztai_file_event, path2_len), M(ztai_file_event, data)});
  expect_layout("ztai_path_prefix_key", sizeof(ztai_path_prefix_key),
                {M(ztai_path_prefix_key, prefixlen), M(ztai_path_prefix_key, path)});
  expect_layout("ztai_path_suffix_key", sizeof(ztai_path_suffix_key),
                {M(ztai_path_suffix_key, prefixlen), M(ztai_path_suffix_key, reversed)});
  expect_layout("ztai_tls_hello_event", sizeof(ztai_tls_hello_event),
                {M(ztai_tls_hello_event, hdr), M(ztai_tls_hello_event, call_bytes), M(ztai_tls_hello_event, data_len),
                 M(ztai_tls_hello_event, fd), M(ztai_tls_hello_event, family), M(ztai_tls_hello_event, lport),
                 M(ztai_tls_hello_event, rport), M(ztai_tls_hello_event, laddr), M(ztai_tls_hello_event, raddr),
                 M(ztai_tls_hello_event, data)});
  expect_layout("ztai_stdio_proc", sizeof(ztai_stdio_proc),
                {M(ztai_stdio_proc, client_tgid), M(ztai_stdio_proc, role)});
  expect_layout("ztai_path_match_value", sizeof(ztai_path_match_value),
                {M(ztai_path_match_value, len), M(ztai_path_match_value, match)});
  expect_layout("ztai_file_filter_config", sizeof(ztai_file_filter_config),
                {M(ztai_file_filter_config, enabled), M(ztai_file_filter_config, all_paths),
                 M(ztai_file_filter_config, all_cgroups), M(ztai_file_filter_config, tries)});
}

TEST_F(BtfLayout, NetworkPolicy) {
  expect_layout("ztai_policy_cgroup_key", sizeof(ztai_policy_cgroup_key),
                {M(ztai_policy_cgroup_key, cgroup_id), M(ztai_policy_cgroup_key, generation)});
  expect_layout("ztai_policy_cgroup", sizeof(ztai_policy_cgroup),
                {M(ztai_policy_cgroup, policy_id), M(ztai_policy_cgroup, flags)});
  expect_layout("ztai_egress_key", sizeof(ztai_egress_key),
                {M(ztai_egress_key, prefixlen), M(ztai_egress_key, policy_slot), M(ztai_egress_key, addr)});
  expect_layout("ztai_egress_value", sizeof(ztai_egress_value),
                {M(ztai_egress_value, count), M(ztai_egress_value, ranges)});
  expect_layout("ztai_port_range", sizeof(ztai_port_range),
                {M(ztai_port_range, first), M(ztai_port_range, last), M(ztai_port_range, protocol),
                 M(ztai_port_range, rule)});
  expect_layout("ztai_policy_denial_event", sizeof(ztai_policy_denial_event),
                {M(ztai_policy_denial_event, hdr), M(ztai_policy_denial_event, policy_id),
                 M(ztai_policy_denial_event, generation), M(ztai_policy_denial_event, rule),
                 M(ztai_policy_denial_event, dport), M(ztai_policy_denial_event, hook),
                 M(ztai_policy_denial_event, verdict), M(ztai_policy_denial_event, protocol),
                 M(ztai_policy_denial_event, daddr)});
}

TEST_F(BtfLayout, SegmentationMaps) {
  expect_layout("ztai_endpoint_key", sizeof(ztai_endpoint_key),
                {M(ztai_endpoint_key, netns), M(ztai_endpoint_key, addr), M(ztai_endpoint_key, port),
                 M(ztai_endpoint_key, protocol)});
  expect_layout("ztai_endpoint", sizeof(ztai_endpoint), {M(ztai_endpoint, cgroup_id), M(ztai_endpoint, cookie)});
  expect_layout("ztai_ingress_key", sizeof(ztai_ingress_key),
                {M(ztai_ingress_key, policy_slot), M(ztai_ingress_key, from_policy)});
}

TEST_F(BtfLayout, CountersAndConfig) {
  expect_layout("ztai_kernel_counters", sizeof(ztai_kernel_counters),
                {M(ztai_kernel_counters, ring_drops), M(ztai_kernel_counters, read_errors),
                 M(ztai_kernel_counters, net_untracked)});
  expect_layout("ztai_kernel_config", sizeof(ztai_kernel_config),
                {M(ztai_kernel_config, self_tgid), M(ztai_kernel_config, max_args_bytes),
                 M(ztai_kernel_config, wakeup_bytes)});
}

TEST_F(BtfLayout, GuardTablesAndDenial) {
  expect_layout("ztai_guard_workload", sizeof(ztai_guard_workload),
                {M(ztai_guard_workload, policy_id), M(ztai_guard_workload, flags),
                 M(ztai_guard_workload, io_uring_rule_id), M(ztai_guard_workload, exec_default_rule_id)});
  expect_layout("ztai_guard_file_key", sizeof(ztai_guard_file_key),
                {M(ztai_guard_file_key, policy_id), M(ztai_guard_file_key, dev), M(ztai_guard_file_key, ino)});
  expect_layout("ztai_guard_entry", sizeof(ztai_guard_entry), {M(ztai_guard_entry, verdict), M(ztai_guard_entry, rule_id)});
  expect_layout("ztai_guard_unix_key", sizeof(ztai_guard_unix_key),
                {M(ztai_guard_unix_key, policy_id), M(ztai_guard_unix_key, path)});
  expect_layout("ztai_guard_denial_event", sizeof(ztai_guard_denial_event),
                {M(ztai_guard_denial_event, hdr), M(ztai_guard_denial_event, workload_cgroup_id),
                 M(ztai_guard_denial_event, ino), M(ztai_guard_denial_event, dev), M(ztai_guard_denial_event, policy_id),
                 M(ztai_guard_denial_event, rule_id), M(ztai_guard_denial_event, kind), M(ztai_guard_denial_event, flags),
                 M(ztai_guard_denial_event, path_len), M(ztai_guard_denial_event, path)});
}

TEST_F(BtfLayout, SelfGuard) {
  expect_layout("ztai_selfguard_key", sizeof(ztai_selfguard_key), {M(ztai_selfguard_key, object), M(ztai_selfguard_key, id)});
  expect_layout("ztai_selfguard_config", sizeof(ztai_selfguard_config),
                {M(ztai_selfguard_config, protected_tgid), M(ztai_selfguard_config, pid_ns),
                 M(ztai_selfguard_config, signals)});
  expect_layout("ztai_selfguard_event", sizeof(ztai_selfguard_event),
                {M(ztai_selfguard_event, hdr), M(ztai_selfguard_event, action), M(ztai_selfguard_event, object),
                 M(ztai_selfguard_event, target_tgid), M(ztai_selfguard_event, object_id),
                 M(ztai_selfguard_event, command), M(ztai_selfguard_event, signal_code),
                 M(ztai_selfguard_event, signal_result)});
}

// The host side of the same contract, checked at compile time.
static_assert(sizeof(ztai_event_header) == 48);
static_assert(offsetof(ztai_event_header, ktime_ns) == 8);
static_assert(offsetof(ztai_event_header, tid) == 16);
static_assert(offsetof(ztai_exec_event, data) == sizeof(ztai_exec_event));
static_assert(offsetof(ztai_fork_event, child) == 48);
static_assert(offsetof(ztai_exit_event, status) == 48);
static_assert(alignof(ztai_event_header) == 8, "records in the ring are 8-byte aligned");

}  // namespace
