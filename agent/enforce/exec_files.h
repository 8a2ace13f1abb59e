// Exec rules name files by path; the kernel knows the executed file by device and inode. This
// resolves every exec rule of a plan to the (dev, ino) of the files it names now, checks sha256
// pins, and says which directories to watch so the result can be brought up to date when a file
// is installed, replaced, renamed or removed.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "agent/enforce/guard_plan.h"

namespace ztai::enforce {

struct ExecResolution {
  ResolvedExecFiles files;
  std::set<std::string> watch_dirs;  // parents of exact paths, every directory of prefix rules
  std::vector<std::string> notes;    // a missing file, a pin mismatch: the rule then names nothing
};

struct ExecResolveLimits {
  size_t max_files = 65536;         // over all rules (ZTAI_GUARD_MAX_EXEC_FILES)
  uint64_t max_hash_bytes = 256ull << 20;
};

// A path that leads through symlinks resolves to the file they name: that is what execve maps.
// Directory rules take every regular file below (symlinks to files included).
ExecResolution resolve_exec_files(const GuardPlan& plan, const ExecResolveLimits& limits = {});

}  // namespace ztai::enforce
