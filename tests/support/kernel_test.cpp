#include "tests/support/kernel_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/common/mounts.h"
#include "agent/identity/procfs.h"
#include "agent/kernel/preflight.h"

namespace ztai::testing {

bool bpf_required() {
  const char* v = std::getenv("ZTAI_REQUIRE_BPF");
  return v && std::string(v) == "1";
}

Status kernel_available() {
  if (geteuid() != 0) return make_error(ErrorCode::kPermission, "kernel tests run as root");
  return run_preflight({});
}

Result<uint64_t> own_cgroup_id() {
  auto mounts = read_mounts();
  if (!mounts) return mounts.error();
  auto cg2 = find_mount(*mounts, "cgroup2");
  if (!cg2) return make_error(ErrorCode::kNotFound, "no cgroup2 mount");
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) {
      struct stat sb;
      if (stat((*cg2 + line.substr(3)).c_str(), &sb) != 0) break;
      return static_cast<uint64_t>(sb.st_ino);
    }
  }
  return make_error(ErrorCode::kNotFound, "no cgroup v2 line in /proc/self/cgroup");
}

Result<uint64_t> proc_start_ticks(int pid) { return Procfs().start_ticks(static_cast<uint32_t>(pid)); }

}  // namespace ztai::testing
