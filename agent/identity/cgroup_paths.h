// cgroup v2 id -> path. The id of a cgroup v2 directory is its inode, so a scan of the mount at
// start-up fills the cache, the kernel's cgroup_mkdir/cgroup_rmdir records keep it current, and
// an id nobody announced (a record lost, a cgroup made in a private cgroup namespace) is opened
// by handle, which cgroupfs supports with the id as the handle. Bounded: rmdir removes entries
// and a cap evicts the oldest (counted).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/common/mounts.h"
#include "agent/common/result.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

class CgroupPaths {
 public:
  // mount: where cgroup v2 is mounted; empty when the host has none (then every lookup fails).
  CgroupPaths(std::string mount, size_t max_entries, MetricsRegistry& metrics);
  ~CgroupPaths();
  CgroupPaths(const CgroupPaths&) = delete;
  CgroupPaths& operator=(const CgroupPaths&) = delete;

  // Walks the mount; returns how many cgroups were added.
  size_t scan();
  // path as the kernel reports it, relative to the root ("/a/b"); kept only when the directory
  // there has that inode, since a path seen from inside a cgroup namespace is relative to it.
  void on_mkdir(uint64_t id, std::string_view path);
  void on_rmdir(uint64_t id);

  // The path relative to the mount ("/" for the root), or nullptr when the cgroup is unknown and
  // cannot be opened (it is gone, or the agent lacks CAP_DAC_READ_SEARCH).
  const std::string* find(uint64_t id);
  const std::string& mount() const { return mount_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string path;
    std::list<uint64_t>::iterator order_it;
  };
  void insert(uint64_t id, std::string path);
  std::optional<std::string> open_by_id(uint64_t id);

  std::string mount_;
  int mount_fd_ = -1;
  size_t max_entries_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::list<uint64_t> order_;
  Gauge& size_gauge_;
  Counter& evicted_;
  Counter& by_handle_;
  Counter& unresolved_;
};

// One line of /proc/PID/cgroup: "hierarchy-id:controllers:path"; hierarchy 0 is cgroup v2.
struct ProcCgroupLine {
  uint32_t hierarchy = 0;
  std::string controllers;
  std::string path;
};
std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text);

// True when cgroup v1 hierarchies are mounted next to v2 (a hybrid host): containers of runtimes
// using the cgroupfs driver then live only in v1, and share the v2 cgroup of their runtime.
bool has_cgroup_v1_mounts(const std::vector<MountEntry>& mounts);

}  // namespace ztai
