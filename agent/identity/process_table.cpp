#include "agent/identity/process_table.h"

#include <fmt/format.h>

#include "agent/common/base64.h"
#include "bpf/abi/events.h"

namespace ztai {

std::string basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

uint64_t ProcessInfo::start_boot_ns() const { return key.start_ticks * ZTAI_NSEC_PER_TICK; }

ProcessTable::ProcessTable(ProcessTableConfig config, std::string host, MetricsRegistry& metrics)
    : config_(config),
      host_(std::move(host)),
      size_gauge_(metrics.gauge("ztai_process_table_entries", "Processes held in the process table")),
      reaped_(metrics.counter("ztai_process_table_reaped_total", "Exited processes removed after their grace period")),
      evicted_exited_(metrics.counter("ztai_process_table_evicted_total",
                                      "Processes removed early because the table was at its cap",
                                      {{"state", "exited"}})),
      evicted_live_(metrics.counter("ztai_process_table_evicted_total",
                                    "Processes removed early because the table was at its cap",
                                    {{"state", "live"}})),
      missed_(metrics.counter("ztai_process_table_unknown_total",
                              "Events for processes the table did not know (added from the event)")) {}

std::string ProcessTable::make_exec_id(const ProcKey& key) const {
  return base64_encode(fmt::format("{}:{}:{}", host_, key.start_ticks, key.tgid));
}

ProcessInfo& ProcessTable::insert(const ProcKey& key, const ProcKey& parent, ProcessInfo::Origin origin) {
  if (auto it = entries_.find(key); it != entries_.end()) erase(key);
  // A live entry with the same tgid but another key is a reused pid whose exit we did not see.
  if (auto it = live_by_tgid_.find(key.tgid); it != live_by_tgid_.end() && !(it->second == key)) {
    if (auto old = entries_.find(it->second); old != entries_.end()) {
      mark_exited(old->second.info, 0, old->second.info.start_boot_ns());
    }
  }
  while (entries_.size() >= config_.max_processes && !entries_.empty()) evict_one();

  order_.push_back(key);
  Entry& e = entries_[key];
  e.order_it = std::prev(order_.end());
  e.info.key = key;
  e.info.parent = parent;
  e.info.exec_id = make_exec_id(key);
  e.info.origin = origin;
  live_by_tgid_[key.tgid] = key;
  if (auto p = entries_.find(parent); p != entries_.end() && !(parent == key)) ++p->second.info.children;
  size_gauge_.set(static_cast<int64_t>(entries_.size()));
  return e.info;
}

void ProcessTable::erase(const ProcKey& key) {
  // Iterative: removing a child can make an exited, childless parent reapable.
  ProcKey next = key;
  while (true) {
    auto it = entries_.find(next);
    if (it == entries_.end()) break;
    ProcKey parent = it->second.info.parent;
    order_.erase(it->second.order_it);
    if (auto t = live_by_tgid_.find(next.tgid); t != live_by_tgid_.end() && t->second == next) {
      live_by_tgid_.erase(t);
    }
    entries_.erase(it);
    auto p = entries_.find(parent);
    if (p == entries_.end() || parent == next) break;
    if (p->second.info.children > 0) --p->second.info.children;
    if (!(p->second.reap_when_childless && p->second.info.children == 0)) break;
    reaped_.inc();
    next = parent;
  }
  size_gauge_.set(static_cast<int64_t>(entries_.size()));
}

void ProcessTable::mark_exited(ProcessInfo& p, uint32_t status, uint64_t boot_ns) {
  if (p.exited) return;
  p.exited = true;
  p.exit_status = status;
  p.exit_boot_ns = boot_ns;
  if (auto t = live_by_tgid_.find(p.key.tgid); t != live_by_tgid_.end() && t->second == p.key) {
    live_by_tgid_.erase(t);
  }
  exited_.push_back(p.key);
}

void ProcessTable::evict_one() {
  while (!exited_.empty()) {
    ProcKey key = exited_.front();
    exited_.pop_front();
    if (entries_.count(key)) {
      evicted_exited_.inc();
      erase(key);
      return;
    }
  }
  evicted_live_.inc();
  erase(order_.front());
}

void ProcessTable::for_each_live(const std::function<void(const ProcessInfo&)>& fn) const {
  for (const auto& [tgid, key] : live_by_tgid_) {
    if (const ProcessInfo* p = find(key)) fn(*p);
  }
}

void ProcessTable::reap(uint64_t now_boot_ns) {
  while (!exited_.empty()) {
    ProcKey key = exited_.front();
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      exited_.pop_front();
      continue;
    }
    if (it->second.info.exit_boot_ns + config_.exited_grace_ns > now_boot_ns) break;
    exited_.pop_front();
    if (it->second.info.children > 0) {
      it->second.reap_when_childless = true;  // kept for its children's lineage
    } else {
      reaped_.inc();
      erase(key);
    }
  }
}

size_t ProcessTable::seed(const Procfs& procfs) {
  size_t n = 0;
  for (uint32_t pid : procfs.list_pids()) {
    auto entry = procfs.read(pid);
    if (!entry) continue;  // exited while we read it
    ProcessInfo& p = insert(entry->key, entry->parent, ProcessInfo::Origin::kProcfs);
    p.exe_path = entry->exe_path;
    // comm is cut at 15 bytes; the executable's name is whole when it extends comm.
    std::string exe_name = basename_of(entry->exe_path);
    p.name = exe_name.size() > entry->comm.size() && exe_name.starts_with(entry->comm) ? exe_name : entry->comm;
    p.argv = std::move(entry->argv);
    p.uid = entry->uid;
    p.gid = entry->gid;
    p.euid = entry->euid;
    p.egid = entry->egid;
    p.posture = entry->posture;
    p.cgroup_id = entry->cgroup_id;
    ++n;
  }
  // Parents may have been read after their children: count children once all are in.
  for (auto& [key, e] : entries_) e.info.children = 0;
  for (auto& [key, e] : entries_) {
    if (auto p = entries_.find(e.info.parent); p != entries_.end() && !(e.info.parent == key)) {
      ++p->second.info.children;
    }
  }
  return n;
}

const ProcessInfo* ProcessTable::find(const ProcKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.info;
}

ProcessInfo* ProcessTable::find_mutable(const ProcKey& key) {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.info;
}

const ProcessInfo* ProcessTable::find_tgid(uint32_t tgid) const {
  auto it = live_by_tgid_.find(tgid);
  return it == live_by_tgid_.end() ? nullptr : find(it->second);
}

std::vector<const ProcessInfo*> ProcessTable::ancestors(const ProcessInfo& p, size_t max_depth) const {
  std::vector<const ProcessInfo*> chain;
  const ProcessInfo* cur = &p;
  while (chain.size() < max_depth) {
    const ProcessInfo* parent = parent_of(*cur);
    if (!parent || parent == cur) break;
    chain.push_back(parent);
    cur = parent;
  }
  return chain;
}

const ProcessInfo* ProcessTable::apply(const Event& event) {
  return std::visit(
      [&](const auto& payload) -> const ProcessInfo* {
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, ExecPayload>) return apply_exec(event.hdr, payload);
        if constexpr (std::is_same_v<T, ForkPayload>) return apply_fork(event.hdr, payload);
        if constexpr (std::is_same_v<T, ExitPayload>) return apply_exit(event.hdr, payload);
        return find(event.hdr.proc);
      },
      event.payload);
}

ProcessInfo* ProcessTable::apply_exec(const EventHeader& hdr, const ExecPayload& exec) {
  ProcessInfo* p = find_mutable(hdr.proc);
  if (!p || p->exited) {
    missed_.inc();
    p = &insert(hdr.proc, exec.parent, ProcessInfo::Origin::kExec);
  }
  if (!p->parent.valid()) p->parent = exec.parent;
  p->exe_path = exec.filename;
  p->name = basename_of(exec.filename);
  p->argv = exec.argv;
  p->args_truncated = exec.args_truncated;
  p->uid = exec.uid;
  p->gid = exec.gid;
  p->euid = exec.euid;
  p->egid = exec.egid;
  p->exe_ino = exec.exe_ino;
  p->exe_dev = exec.exe_dev;
  p->posture = exec.posture;
  p->cgroup_id = hdr.cgroup_id;
  ++p->exec_count;
  return p;
}

ProcessInfo* ProcessTable::apply_fork(const EventHeader& hdr, const ForkPayload& fork) {
  ProcessInfo& child = insert(fork.child, fork.parent, ProcessInfo::Origin::kFork);
  // The child runs the image of the task that forked, even when CLONE_PARENT gave it another parent.
  ProcessInfo* forker = find_mutable(hdr.proc);
  if (!forker) {
    missed_.inc();
  } else {
    child.name = forker->name;
    child.exe_path = forker->exe_path;
    child.argv = forker->argv;
    child.args_truncated = forker->args_truncated;
    child.uid = forker->uid;
    child.gid = forker->gid;
    child.euid = forker->euid;
    child.egid = forker->egid;
    child.exe_ino = forker->exe_ino;
    child.exe_dev = forker->exe_dev;
    child.posture = forker->posture;
  }
  child.cgroup_id = fork.child_cgroup_id;
  return forker;
}

ProcessInfo* ProcessTable::apply_exit(const EventHeader& hdr, const ExitPayload& exit) {
  ProcessInfo* p = find_mutable(hdr.proc);
  if (!p) {
    missed_.inc();
    return nullptr;
  }
  mark_exited(*p, exit.status, hdr.boot_ns);
  return p;
}

}  // namespace ztai
