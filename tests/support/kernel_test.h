// Helpers for tests that need the kernel.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "agent/common/result.h"

namespace ztai::testing {

// True when ZTAI_REQUIRE_BPF=1: kernel tests must then fail rather than skip.
bool bpf_required();

// Skips (or fails under ZTAI_REQUIRE_BPF=1) when a kernel prerequisite is missing.
#define ZTAI_KERNEL_PREREQ(status_expr)                                                       \
  do {                                                                                        \
    ::ztai::Status ztai_prereq_ = (status_expr);                                              \
    if (!ztai_prereq_) {                                                                      \
      if (::ztai::testing::bpf_required()) {                                                  \
        FAIL() << "kernel prerequisite failed (ZTAI_REQUIRE_BPF=1): " << ztai_prereq_.error().message(); \
      }                                                                                       \
      GTEST_SKIP() << "kernel prerequisite missing: " << ztai_prereq_.error().message();     \
    }                                                                                         \
  } while (0)

// Root, BTF, tracefs and bpffs: what every kernel test needs before loading.
Status kernel_available();

// cgroup v2 id of the calling process (the inode of its cgroup directory).
Result<uint64_t> own_cgroup_id();

// USER_HZ start ticks of a pid, from /proc/PID/stat.
Result<uint64_t> proc_start_ticks(int pid);

}  // namespace ztai::testing
