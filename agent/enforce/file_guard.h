// Protected files, enforced with fanotify permission events: the protected files (and, for a
// directory rule, the directories of the tree) are marked, so the kernel asks the agent before
// each open of them and only of them. A process of a targeted workload (the cgroup of the pid)
// gets FAN_DENY, which fails its open with EPERM; everyone else gets FAN_ALLOW. Decisions are
// cached per (cgroup, file, kind of open) in a bounded LRU, dropped on every plan change.
//
// Marks sit on inodes, so a renamed protected file stays protected; a file created at a
// protected path, or a directory created in a protected tree, is marked when inotify reports it
// (see docs/enforcement.md for the window). If the agent exits, the kernel answers pending and
// later opens with allow: fanotify fails open.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "agent/common/result.h"
#include "agent/enforce/file_rules.h"
#include "agent/events/event.h"

namespace ztai::enforce {

struct FileGuardSettings {
  std::string cgroup2_mount;  // to read the process's cgroup path from /proc/PID/cgroup
  std::string proc_root = "/proc";
  size_t cache_entries = 4096;
  size_t max_marked_dirs = 4096;  // per plan: directories marked under directory rules
  size_t max_moved_files = 1024;  // renamed protected files kept marked
  uint32_t self_tgid = 0;          // the agent: always allowed
};

struct FileGuardStats {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> denied{0};
  std::atomic<uint64_t> audited{0};
  std::atomic<uint64_t> cache_hits{0};
  std::atomic<uint64_t> errors{0};  // an event that could not be read fully: answered allow
};

class FileGuard {
 public:
  using DenialSink = std::function<void(Event)>;

  // Needs CAP_SYS_ADMIN and a kernel with fanotify permission events.
  static Result<std::unique_ptr<FileGuard>> start(FileGuardSettings settings, DenialSink sink);
  ~FileGuard();
  FileGuard(const FileGuard&) = delete;
  FileGuard& operator=(const FileGuard&) = delete;

  // Replaces the plan and re-marks. A suffix pattern ("*.pem") names no file or directory to
  // mark and is refused.
  Status apply(FileGuardPlan plan);
  const FileGuardStats& stats() const { return stats_; }
  size_t marked() const;

 private:
  struct Mark {
    int fd = -1;        // O_PATH, to remove the mark when the path no longer leads to it
    uint64_t mask = 0;
    RuleRefs exact_rules;  // exact rules that marked this inode
  };
  using InodeKey = std::pair<uint64_t, uint64_t>;  // st_dev, st_ino

  FileGuard(FileGuardSettings settings, DenialSink sink, int fan_fd, int inotify_fd, int stop_fd);
  void run();
  void handle_permission(int fd, int pid, uint64_t mask);
  // keep_moved: the plan is unchanged, so files marked by an exact rule and renamed since stay
  // marked while they have a name.
  void remark_locked(bool keep_moved);
  Status mark_locked(const std::string& path, uint64_t mask, const RuleRefs& exact, bool dir_tree,
                     std::map<InodeKey, Mark>& next, size_t& dirs);
  std::string cgroup_of(int pid) const;
  std::optional<FileDecision> cached_decision(const std::string& key, bool& hit);

  FileGuardSettings settings_;
  DenialSink sink_;
  int fan_fd_, inotify_fd_, stop_fd_;
  mutable std::mutex mutex_;
  FileGuardPlan plan_;
  std::map<InodeKey, Mark> marks_;
  std::map<int, std::string> watches_;  // inotify watch descriptor -> directory
  // LRU of decisions: key -> (policy index, rule index) or none.
  struct CacheEntry {
    std::optional<std::pair<size_t, size_t>> verdict;
    std::string workload;
    std::list<std::string>::iterator order;
  };
  std::unordered_map<std::string, CacheEntry> cache_;
  std::list<std::string> order_;
  FileGuardStats stats_;
  std::thread thread_;
};

}  // namespace ztai::enforce
