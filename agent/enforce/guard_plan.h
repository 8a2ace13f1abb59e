// What the process enforcement programs (bpf/exec_guard.bpf.c) must do, per policy, before
// executables are resolved to inodes: the exec allowlist or denylist, io_uring refusal and the
// unix sockets a workload may not connect to; and which cgroups each policy governs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/common/path_pattern.h"
#include "agent/common/result.h"
#include "agent/kernel/guard_maps.h"

namespace ztai::enforce {

struct ExecRule {
  uint32_t rule_id = 0;
  std::string name;   // as the policy names it ("exec.allow[0]")
  PathPattern path;   // an exact file, or a directory prefix ("/opt/app/bin/*": every file below)
  std::string sha256; // lower-case hex: only the file with this content (allow rules)
  bool deny = false;  // exec.deny; else exec.allow
};

struct UnixRule {
  uint32_t rule_id = 0;
  std::string name;
  std::string path;  // absolute socket path as connect(2) names it
};

struct ProcessPolicy {
  uint32_t policy_id = 0;
  std::string name;
  bool audit = false;
  bool exec = false;               // an exec section is present
  bool exec_default_deny = false;  // what no rule names is denied
  uint32_t exec_default_rule_id = 0;
  std::vector<ExecRule> exec_rules;
  bool io_uring_deny = false;
  uint32_t io_uring_rule_id = 0;
  std::vector<UnixRule> unix_deny;
};

struct GuardTarget {
  uint64_t cgroup_id = 0;
  std::string cgroup_path;  // absolute directory
  size_t policy = 0;        // index in GuardPlan::policies
};

struct GuardPlan {
  std::vector<ProcessPolicy> policies;
  std::vector<GuardTarget> targets;
};

// (dev, ino) of the files each exec rule names, keyed by (policy index, rule index).
using ResolvedExecFiles = std::map<std::pair<size_t, size_t>, std::vector<std::pair<uint32_t, uint64_t>>>;

// The kernel tables for a plan. A file named by a deny rule and an allow rule of the same policy
// is denied. Every target gets a workload entry, even one whose policy enforces nothing here. Fails on a unix path that connect(2) cannot name (relative, or 108 bytes or more).
Result<GuardTables> build_guard_tables(const GuardPlan& plan, const ResolvedExecFiles& files);

}  // namespace ztai::enforce
