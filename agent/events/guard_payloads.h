// Typed payload of an enforcement decision: an exec, io_uring setup or unix connect the kernel
// denied (bpf/abi/guard.h), or a file open the agent refused through fanotify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ztai {

enum class DenialKind : uint8_t { kExec = 1, kIoUring = 2, kUnixConnect = 3, kFileOpen = 4 };

// "exec", "io_uring", "unix_connect", "file_open".
std::string_view denial_kind_name(DenialKind kind);

struct GuardDenialPayload {
  DenialKind kind = DenialKind::kExec;
  bool audit = false;        // audit mode: reported, not denied
  bool kill_failed = false;  // the kernel could not signal the process: it runs on
  bool path_truncated = false;
  uint64_t workload_cgroup_id = 0;  // the guarded cgroup whose policy decided
  uint32_t policy_id = 0;
  uint32_t rule_id = 0;
  uint32_t dev = 0;  // exec, file: the file (kernel dev_t encoding)
  uint64_t ino = 0;
  std::string path;    // exec: as given to execve; unix: the socket path; file: the opened file
  std::string access;  // file: "read" (any open) or "exec"
  // Filled by the agent from its loaded policies (empty until then).
  std::string policy_name;
  std::string rule_name;
  std::string mode;  // enforce, audit
};

}  // namespace ztai
