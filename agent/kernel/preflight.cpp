#include "agent/kernel/preflight.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/common/log.h"
#include "agent/common/mounts.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

namespace ztai {
namespace {

bool has_effective_cap(const __user_cap_data_struct (&data)[2], int cap) {
  return data[cap / 32].effective & (1u << (cap % 32));
}

Status ensure_mounted(const std::vector<MountEntry>& mounts, const std::string& target, const char* fstype) {
  for (const MountEntry& m : mounts) {
    if (m.target == target && m.fstype == fstype) return {};
  }
  mkdir(target.c_str(), 0700);
  if (mount(fstype, target.c_str(), fstype, 0, nullptr) != 0) {
    return make_error(ErrorCode::kPermission, "{} is not mounted at {} and mounting it failed ({}); mount it with "
                      "`mount -t {} {} {}` or give the agent CAP_SYS_ADMIN",
                      fstype, target, strerror(errno), fstype, fstype, target);
  }
  log::info("mounted {} at {}", fstype, target);
  return {};
}

}  // namespace

Status check_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) {
    return make_error(ErrorCode::kPermission, "cannot read the agent's capabilities: {}", strerror(errno));
  }
  bool admin = has_effective_cap(data, CAP_SYS_ADMIN);
  bool bpf = admin || has_effective_cap(data, CAP_BPF);
  bool perfmon = admin || has_effective_cap(data, CAP_PERFMON);
  if (!bpf || !perfmon) {
    return make_error(ErrorCode::kPermission,
                      "ztai needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load its programs: run it as root "
                      "or through its systemd unit, which grants them");
  }
  return {};
}

Status check_btf() {
  if (access(kKernelBtfPath, R_OK) != 0) {
    return make_error(ErrorCode::kUnsupported,
                      "this kernel exposes no BTF at {}: ztai needs a kernel built with "
                      "CONFIG_DEBUG_INFO_BTF=y (the default of Debian 11+, Ubuntu 20.10+, RHEL 8.2+)",
                      kKernelBtfPath);
  }
  return {};
}

Status ensure_kernel_filesystems(const PreflightSettings& settings) {
  auto mounts = read_mounts();
  if (!mounts) return mounts.error();
  if (Status s = ensure_mounted(*mounts, settings.tracefs, "tracefs"); !s) return s;
  return ensure_mounted(*mounts, settings.bpffs, "bpf");
}

Status run_preflight(const PreflightSettings& settings) {
  for (auto check : {check_privileges, check_btf}) {
    if (Status s = check(); !s) return s;
  }
  return ensure_kernel_filesystems(settings);
}

}  // namespace ztai
