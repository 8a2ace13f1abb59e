#include "agent/kernel/guard_maps.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>

namespace ztai {
namespace {

ztai_guard_file_key raw_key(const GuardFileKey& k) { return {k.policy_id, k.dev, k.ino}; }

ztai_guard_unix_key raw_key(const GuardUnixKey& k) {
  ztai_guard_unix_key raw{};
  raw.policy_id = k.policy_id;
  std::memcpy(raw.path, k.path.data(), std::min<size_t>(k.path.size(), sizeof(raw.path) - 1));
  return raw;
}

ztai_guard_entry raw_entry(const GuardEntry& e) { return {e.verdict, e.rule_id}; }

ztai_guard_workload raw_workload(const GuardWorkload& w) {
  return {w.policy_id, w.flags, w.io_uring_rule_id, w.exec_default_rule_id};
}

template <typename Raw>
Status put(int fd, const void* key, const Raw& value, const char* what) {
  if (bpf_map_update_elem(fd, key, &value, BPF_ANY) != 0) {
    return make_error(ErrorCode::kKernel, "writing a guard {} entry failed: {}", what, strerror(errno));
  }
  return {};
}

Status erase(int fd, const void* key, const char* what) {
  if (bpf_map_delete_elem(fd, key) != 0 && errno != ENOENT) {
    return make_error(ErrorCode::kKernel, "removing a guard {} entry failed: {}", what, strerror(errno));
  }
  return {};
}

// Writes entries of `next` that differ from `prev`.
template <typename Map, typename ToKey, typename ToValue>
Status write_changed(int fd, const Map& prev, const Map& next, ToKey to_key, ToValue to_value, const char* what) {
  for (const auto& [k, v] : next) {
    auto it = prev.find(k);
    if (it != prev.end() && it->second == v) continue;
    auto raw = to_key(k);
    if (Status s = put(fd, &raw, to_value(v), what); !s) return s;
  }
  return {};
}

template <typename Map, typename ToKey>
Status erase_gone(int fd, const Map& prev, const Map& next, ToKey to_key, const char* what) {
  for (const auto& [k, v] : prev) {
    if (next.count(k)) continue;
    auto raw = to_key(k);
    if (Status s = erase(fd, &raw, what); !s) return s;
  }
  return {};
}

}  // namespace

uint32_t kernel_dev(uint64_t st_dev) {
  return static_cast<uint32_t>((major(st_dev) << 20) | minor(st_dev));
}

GuardMaps::GuardMaps(int workloads_fd, int exec_files_fd, int unix_paths_fd, int unix_prog_fd)
    : workloads_fd_(workloads_fd), exec_files_fd_(exec_files_fd), unix_paths_fd_(unix_paths_fd),
      unix_prog_fd_(unix_prog_fd) {}

GuardMaps::~GuardMaps() {
  for (const auto& [id, fd] : unix_links_) close(fd);
}

Status GuardMaps::apply(const GuardTables& next) {
  auto file_key = [](const GuardFileKey& k) { return raw_key(k); };
  auto unix_key = [](const GuardUnixKey& k) { return raw_key(k); };
  auto id_key = [](uint64_t id) { return id; };
  auto entry = [](const GuardEntry& e) { return raw_entry(e); };
  auto workload = [](const GuardWorkload& w) { return raw_workload(w); };

  if (Status s = write_changed(exec_files_fd_, applied_.exec_files, next.exec_files, file_key, entry, "exec"); !s) {
    return s;
  }
  if (Status s = write_changed(unix_paths_fd_, applied_.unix_paths, next.unix_paths, unix_key, entry, "unix"); !s) {
    return s;
  }
  if (Status s = write_changed(workloads_fd_, applied_.workloads, next.workloads, id_key, workload, "workload"); !s) {
    return s;
  }
  if (Status s = sync_unix_links(next); !s) return s;
  if (Status s = erase_gone(workloads_fd_, applied_.workloads, next.workloads, id_key, "workload"); !s) return s;
  if (Status s = erase_gone(exec_files_fd_, applied_.exec_files, next.exec_files, file_key, "exec"); !s) return s;
  if (Status s = erase_gone(unix_paths_fd_, applied_.unix_paths, next.unix_paths, unix_key, "unix"); !s) return s;
  applied_ = next;
  return {};
}

Status GuardMaps::sync_unix_links(const GuardTables& next) {
  if (!unix_enforced()) return {};
  for (auto it = unix_links_.begin(); it != unix_links_.end();) {
    auto w = next.workloads.find(it->first);
    if (w == next.workloads.end() || !(w->second.flags & ZTAI_GUARD_UNIX)) {
      close(it->second);
      it = unix_links_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, w] : next.workloads) {
    if (!(w.flags & ZTAI_GUARD_UNIX) || unix_links_.count(id)) continue;
    int cg = open(w.cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
      return make_error(ErrorCode::kIo, "opening cgroup {} to guard its unix connects failed: {}", w.cgroup_path,
                        strerror(errno));
    }
    // The hook runs for this cgroup and every cgroup below it; the program finds the policy.
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    int link = bpf_link_create(unix_prog_fd_, cg, static_cast<bpf_attach_type>(kBpfCgroupUnixConnect), &opts);
    int err = errno;
    close(cg);
    if (link < 0) {
      return make_error(ErrorCode::kKernel, "attaching the unix connect guard to {} failed: {}", w.cgroup_path,
                        strerror(err));
    }
    unix_links_[id] = link;
  }
  return {};
}

}  // namespace ztai
