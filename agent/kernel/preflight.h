// Start-up checks before anything is loaded: privileges, kernel BTF, tracefs and bpffs. Each
// failure is one sentence saying what is missing and how to fix it.
#pragma once

#include <string>

#include "agent/common/result.h"

namespace ztai {

// The kernel's own BTF, which CO-RE relocations are resolved against.
inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

struct PreflightSettings {
  std::string tracefs = "/sys/kernel/tracing";
  std::string bpffs = "/sys/fs/bpf";
};

// CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set.
Status check_privileges();
Status check_btf();
// Mounts tracefs and bpffs where they are missing; reports what it mounted.
Status ensure_kernel_filesystems(const PreflightSettings& settings);
Status run_preflight(const PreflightSettings& settings);

}  // namespace ztai
