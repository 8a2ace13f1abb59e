// Writes the process and file enforcement tables (bpf/abi/guard.h) into the kernel, and attaches
// the unix connect hook to the guarded cgroups. The tables are replaced as a whole at start-up and
// on every policy reload; only the difference reaches the kernel.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "agent/common/result.h"
#include "bpf/abi/guard.h"

namespace ztai {

// enum bpf_attach_type value of cgroup/connect_unix (kernel 6.7+); Debian's libbpf 1.1 headers
// stop before it.
inline constexpr int kBpfCgroupUnixConnect = 49;

struct GuardFileKey {
  uint32_t policy_id = 0;
  uint32_t dev = 0;  // kernel encoding: MAJOR << 20 | MINOR
  uint64_t ino = 0;
  auto operator<=>(const GuardFileKey&) const = default;
};

struct GuardUnixKey {
  uint32_t policy_id = 0;
  std::string path;  // at most ZTAI_UNIX_PATH_MAX - 1 bytes
  auto operator<=>(const GuardUnixKey&) const = default;
};

struct GuardEntry {
  uint32_t verdict = ZTAI_GUARD_ALLOW;  // enum ztai_guard_verdict
  uint32_t rule_id = 0;
  bool operator==(const GuardEntry&) const = default;
};

struct GuardWorkload {
  uint32_t policy_id = 0;
  uint32_t flags = 0;  // enum ztai_guard_flags
  uint32_t io_uring_rule_id = 0;
  uint32_t exec_default_rule_id = 0;
  std::string cgroup_path;  // absolute directory, to attach the unix connect hook
  bool operator==(const GuardWorkload&) const = default;
};

struct GuardTables {
  std::map<uint64_t, GuardWorkload> workloads;  // by cgroup id
  std::map<GuardFileKey, GuardEntry> exec_files;
  std::map<GuardUnixKey, GuardEntry> unix_paths;
};

// The kernel's dev_t encoding (MAJOR << 20 | MINOR) of a userspace st_dev.
uint32_t kernel_dev(uint64_t st_dev);

class GuardMaps {
 public:
  // unix_prog_fd is -1 when the kernel has no cgroup/connect_unix: unix rules are then not enforced.
  GuardMaps(int workloads_fd, int exec_files_fd, int unix_paths_fd, int unix_prog_fd);
  ~GuardMaps();
  GuardMaps(const GuardMaps&) = delete;
  GuardMaps& operator=(const GuardMaps&) = delete;

  bool unix_enforced() const { return unix_prog_fd_ >= 0; }

  // File and path entries are written before the workloads that use them and removed after, so
  // a reload never denies an exec that both the old and the new tables allow.
  Status apply(const GuardTables& next);
  const GuardTables& applied() const { return applied_; }

 private:
  Status sync_unix_links(const GuardTables& next);

  int workloads_fd_, exec_files_fd_, unix_paths_fd_, unix_prog_fd_;
  GuardTables applied_;
  std::map<uint64_t, int> unix_links_;  // cgroup id -> link fd
};

}  // namespace ztai
