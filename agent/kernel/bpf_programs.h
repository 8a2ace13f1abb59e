// The agent's BPF object: every program family in one skeleton. Opens it, writes load-time
// settings, switches off families the kernel cannot run, loads, attaches, and detaches all of
// it when destroyed. Only with enforcement pins that persist does anything outlive the agent: the
// maps declared with LIBBPF_PIN_BY_NAME (the enforcement state) and the links of the programs
// that use them (enforcement_pins.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/kernel/enforcement_pins.h"
#include "agent/kernel/features.h"
#include "agent/kernel/file_filter.h"
#include "agent/kernel/guard_maps.h"

struct ztai_bpf;
struct bpf_program;
struct bpf_link;

namespace ztai {

struct LoaderSettings {
  uint64_t control_ring_bytes = 8u << 20;
  uint64_t data_ring_bytes = 16u << 20;
  uint32_t wakeup_percent = 25;  // 0: never wake the reader early, it polls
  uint32_t max_args_bytes = 4096;
  uint32_t self_tgid = 0;  // the process never traced; 0 traces everything
  uint32_t data_max_call_bytes = 64u << 10;  // plaintext copied per TLS call, at most ZTAI_DATA_CALL_CAP
  bool data_cgroups_only = false;           // TLS capture only for cgroups added by capture_cgroup()
  std::vector<std::string> families_off;    // families switched off by configuration ("tls", "tls_go")
  // Where the enforcement state is pinned and adopted (enforcement.persist); null: nothing pinned.
  EnforcementPins* pins = nullptr;
};

struct KernelCounters {
  uint64_t control_drops = 0;
  uint64_t data_drops = 0;
  uint64_t read_errors = 0;
  uint64_t file_filtered = 0;  // file events dropped in the kernel: no rule or policy wanted them
  uint64_t net_untracked = 0;  // network calls or TCP connections not tracked (map full): records lost
  uint64_t net_filtered = 0;   // network, DNS, blind-spot events dropped in the kernel: no rule wanted them
  uint64_t data_truncated = 0;  // plaintext bytes past the per-call cap, not copied
};

class BpfPrograms {
 public:
  static Result<std::unique_ptr<BpfPrograms>> load(const LoaderSettings& settings, const KernelFeatures& features);
  ~BpfPrograms();
  BpfPrograms(const BpfPrograms&) = delete;
  BpfPrograms& operator=(const BpfPrograms&) = delete;

  int control_ring_fd() const;
  int data_ring_fd() const;
  // Whether a program family ("process", "file"...) was loaded, or switched off for this kernel.
  bool family_loaded(std::string_view family) const;
  // The file sensor's in-kernel filter; it emits nothing until interest is applied.
  FileFilter file_filter() const;
  // The process enforcement tables (exec, io_uring, unix connects); unix rules are enforced only
  // where the kernel has cgroup/connect_unix.
  std::unique_ptr<GuardMaps> guard_maps() const;
  // Network, DNS and blind-spot record types the kernel drops (ZTAI_NET_SKIP_BIT of each);
  // 0, the initial value, emits them all.
  Status skip_net_events(uint32_t mask) const;
  // A loaded program by name, for attachments the agent makes itself (uprobes); nullptr when its
  // family is off.
  bpf_program* program(std::string_view name) const;
  // Adds (or removes) a cgroup to the TLS capture scope (LoaderSettings::data_cgroups_only).
  Status capture_cgroup(uint64_t cgroup_id, bool captured) const;
  // A map or a loaded program of the object by name, for the enforcement tables the agent
  // writes and attaches itself; -1 when there is none (its family is off).
  int map_fd(std::string_view name) const;
  int program_fd(std::string_view name) const;
  // TCP ports whose plaintext is captured at read/write/sendto/recvfrom (the sock_data family);
  // empty: none.
  Status capture_ports(const std::vector<uint16_t>& ports) const;
  // Switches on the capture of stdio pipes (fd 0 and 1) of the processes selected below.
  Status capture_stdio() const;
  // Switches on the capture of the ClientHello on each TCP connection a process makes (the
  // server name of TLS whose plaintext is not captured).
  Status capture_tls_hello() const;
  // Selects a process (bpf/abi/filter.h ztai_stdio_proc): a server is captured at its stdio
  // pipes, a client's children are; either passes the selection on to its children at fork.
  Status select_stdio(uint32_t tgid, uint32_t client_tgid, bool server) const;
  // Sums the per-CPU counters.
  Result<KernelCounters> read_counters() const;
  // Names of the programs attached, for `ztai status` and the logs.
  const std::vector<std::string>& attached() const { return attached_; }

 private:
  explicit BpfPrograms(ztai_bpf* skel) : skel_(skel) {}
  Status set_sock_data(uint32_t bit, bool on) const;

  ztai_bpf* skel_;
  std::vector<std::string> attached_;
  std::vector<std::string> loaded_families_;
  mutable std::vector<bpf_link*> sock_data_links_;  // attached by the first capture switched on
};

}  // namespace ztai
