// Keeps the kernel's process enforcement tables equal to the loaded plan: resolves exec rules to
// inodes, writes the tables, and re-resolves when inotify reports a change in a directory that
// holds a named executable (a package upgrade replaces the file, so its inode changes).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/common/result.h"
#include "agent/enforce/exec_files.h"
#include "agent/enforce/guard_plan.h"
#include "agent/kernel/guard_maps.h"

namespace ztai::enforce {

class ProcessGuard {
 public:
  static Result<std::unique_ptr<ProcessGuard>> start(std::unique_ptr<GuardMaps> maps, ExecResolveLimits limits = {});
  ~ProcessGuard();
  ProcessGuard(const ProcessGuard&) = delete;
  ProcessGuard& operator=(const ProcessGuard&) = delete;

  // Resolves and writes the plan. An error leaves the previous tables in force.
  Status apply(GuardPlan plan);
  bool unix_enforced() const { return maps_->unix_enforced(); }
  // What the last resolution could not resolve (missing files, pin mismatches).
  std::vector<std::string> notes() const;
  uint64_t resolutions() const { return resolutions_; }

 private:
  ProcessGuard(std::unique_ptr<GuardMaps> maps, ExecResolveLimits limits, int inotify_fd, int stop_fd);
  Status apply_locked();
  void run();

  std::unique_ptr<GuardMaps> maps_;
  ExecResolveLimits limits_;
  int inotify_fd_, stop_fd_;
  mutable std::mutex mutex_;
  GuardPlan plan_;
  std::vector<std::string> notes_;
  std::vector<int> watches_;
  std::atomic<uint64_t> resolutions_{0};
  std::thread thread_;
};

}  // namespace ztai::enforce
