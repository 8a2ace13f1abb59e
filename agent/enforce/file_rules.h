// Protected files: which opens of which files the targeted workloads may not make, and the
// decision for one open. Pure data and matching, so it is tested without fanotify; FileGuard
// (file_guard.h) asks it for every permission event.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/path_pattern.h"

namespace ztai::enforce {

// What a rule refuses. fanotify's open permission event does not say whether the file is opened
// for reading or writing, so read and write refuse every open; exec refuses opens for execution
// (execve, uselib, and opens with __FMODE_EXEC) and lets plain reads through.
enum FileAccess : uint8_t {
  kFileRead = 1 << 0,
  kFileWrite = 1 << 1,
  kFileExec = 1 << 2,
};

struct FileRule {
  uint32_t rule_id = 0;
  std::string name;  // as the policy names it ("files.deny[0]")
  PathPattern path;  // exact, or a directory prefix ("/srv/keys/" covers the tree below)
  uint8_t access = 0;  // FileAccess bits
};

struct FilePolicy {
  uint32_t policy_id = 0;
  std::string name;
  bool audit = false;
  std::vector<FileRule> deny;
};

struct FileGuardPlan {
  std::vector<FilePolicy> policies;
  // Targeted cgroups, by path relative to the cgroup v2 mount ("/a.slice/b"), to the index of
  // their policy; a cgroup below a targeted one belongs to the nearest.
  std::map<std::string, size_t> workloads;
};

struct FileDecision {
  const FilePolicy* policy = nullptr;
  const FileRule* rule = nullptr;
  std::string workload;  // the targeted cgroup path the process is in or below
};

// (policy index, rule index) pairs.
using RuleRefs = std::set<std::pair<size_t, size_t>>;

// The rule that refuses this open to a process in cgroup_path, or nullopt. exec_open: the open
// is for execution (FAN_OPEN_EXEC_PERM), else any other open (FAN_OPEN_PERM). inode_rules: the
// exact rules whose file is this very inode (it may have been renamed since it was marked).
std::optional<FileDecision> decide_open(const FileGuardPlan& plan, std::string_view cgroup_path,
                                        std::string_view file_path, bool exec_open, const RuleRefs& inode_rules = {});

}  // namespace ztai::enforce
