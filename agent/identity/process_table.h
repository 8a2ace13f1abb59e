// Every process on the host, keyed by ProcKey: seeded from /proc, then kept by exec, fork and
// exit events. Memory is bounded: exited processes are reaped once their grace period is over
// and no child in the table names them as parent, and a hard cap evicts (counted) the oldest
// exited, then the oldest live entries.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/events/event.h"
#include "agent/identity/procfs.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

struct ProcessInfo {
  enum class Origin { kProcfs, kFork, kExec };

  ProcKey key;
  ProcKey parent;        // the creator, kept when the process is later re-parented
  std::string exec_id;   // stable id of this process across hosts: host + key
  std::string name;      // executable name without its path
  std::string exe_path;  // executable as exec'd (execve's filename) or /proc/PID/exe when seeded
  std::vector<std::string> argv;
  bool args_truncated = false;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  uint64_t cgroup_id = 0;
  uint64_t exe_ino = 0;
  uint32_t exe_dev = 0;
  // From the last exec, or /proc when seeded; a forked child has its parent's (fork copies
  // credentials, seccomp and no_new_privs; a clone into new namespaces shows at the next exec).
  std::optional<Posture> posture;
  uint32_t exec_count = 0;  // execs seen since the agent started
  Origin origin = Origin::kProcfs;

  bool exited = false;
  uint32_t exit_status = 0;
  uint64_t exit_boot_ns = 0;
  uint32_t children = 0;  // entries whose parent is this one

  uint64_t start_boot_ns() const;
};

struct ProcessTableConfig {
  size_t max_processes = 65536;
  uint64_t exited_grace_ns = 30'000'000'000;  // events still in flight after an exit resolve
};

class ProcessTable {
 public:
  ProcessTable(ProcessTableConfig config, std::string host, MetricsRegistry& metrics);

  // Adds every process of a /proc tree; returns how many were read.
  size_t seed(const Procfs& procfs);

  // Updates the table from one event; returns the acting process (the header's), or nullptr
  // for events without one.
  const ProcessInfo* apply(const Event& event);

  const ProcessInfo* find(const ProcKey& key) const;
  // The live process with that tgid, if any.
  const ProcessInfo* find_tgid(uint32_t tgid) const;
  const ProcessInfo* parent_of(const ProcessInfo& p) const { return find(p.parent); }
  // Parent, grandparent... up to max_depth, stopping at the first unknown one.
  std::vector<const ProcessInfo*> ancestors(const ProcessInfo& p, size_t max_depth) const;

  // Every live process, in no particular order.
  void for_each_live(const std::function<void(const ProcessInfo&)>& fn) const;

  // Removes exited processes whose grace period ended before now and that have no children.
  void reap(uint64_t now_boot_ns);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    ProcessInfo info;
    std::list<ProcKey>::iterator order_it;
    bool reap_when_childless = false;
  };

  ProcessInfo& insert(const ProcKey& key, const ProcKey& parent, ProcessInfo::Origin origin);
  ProcessInfo* find_mutable(const ProcKey& key);
  void erase(const ProcKey& key);
  void mark_exited(ProcessInfo& p, uint32_t status, uint64_t boot_ns);
  void evict_one();
  std::string make_exec_id(const ProcKey& key) const;

  ProcessInfo* apply_exec(const EventHeader& hdr, const ExecPayload& exec);
  ProcessInfo* apply_fork(const EventHeader& hdr, const ForkPayload& fork);
  ProcessInfo* apply_exit(const EventHeader& hdr, const ExitPayload& exit);

  ProcessTableConfig config_;
  std::string host_;
  std::unordered_map<ProcKey, Entry, ProcKeyHash> entries_;
  std::unordered_map<uint32_t, ProcKey> live_by_tgid_;
  std::list<ProcKey> order_;    // insertion order, for eviction at the cap
  std::deque<ProcKey> exited_;  // exit order, for reaping

  Gauge& size_gauge_;
  Counter& reaped_;
  Counter& evicted_exited_;
  Counter& evicted_live_;
  Counter& missed_;
};

// Executable name from a path: "/usr/bin/python3" -> "python3".
std::string basename_of(std::string_view path);

}  // namespace ztai
