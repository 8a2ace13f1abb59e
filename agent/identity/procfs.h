// Reads processes from a procfs tree. The root is a parameter so tests can build a fake /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/events/event.h"

namespace ztai {

struct ProcStat {
  std::string comm;
  uint32_t ppid = 0;
  uint64_t start_ticks = 0;  // field 22
};

// Parses /proc/PID/stat; comm may hold spaces and parentheses, so fields are found after the
// last ')'.
Result<ProcStat> parse_proc_stat(std::string_view text);

struct ProcSnapshotEntry {
  ProcKey key;
  ProcKey parent;
  std::string comm;
  std::string exe_path;  // empty for kernel threads
  std::vector<std::string> argv;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  std::string cgroup_path;  // cgroup v2 path ("0::" line), relative to the cgroup2 mount
  uint64_t cgroup_id = 0;   // inode of that directory, when the cgroup2 mount is known
  std::optional<Posture> posture;  // absent when status or the namespaces could not be read
};

// Capabilities, no_new_privs and seccomp from /proc/PID/status (CapEff:, CapPrm:, CapBnd:,
// NoNewPrivs:, Seccomp:); namespaces are left 0.
Result<Posture> parse_status_posture(std::string_view status);

class Procfs {
 public:
  // cgroup2_mount: where cgroup v2 is mounted, to turn paths into ids; empty to skip ids.
  explicit Procfs(std::string root = "/proc", std::string cgroup2_mount = "");

  std::vector<uint32_t> list_pids() const;
  // A process that exits while being read is an error, not a partial entry.
  Result<ProcSnapshotEntry> read(uint32_t pid) const;
  // Start time in ticks of one pid, to build parent keys.
  Result<uint64_t> start_ticks(uint32_t pid) const;

 private:
  std::string root_;
  std::string cgroup2_mount_;
};

}  // namespace ztai
