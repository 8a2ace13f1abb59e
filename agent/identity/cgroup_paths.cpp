#include "agent/identity/cgroup_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>

#include "agent/common/log.h"

namespace ztai {
namespace {

// FILEID_KERNFS (include/linux/exportfs.h): kernfs file handles are the 64-bit node id.
constexpr int kKernfsHandleType = 0xfe;

}  // namespace

CgroupPaths::CgroupPaths(std::string mount, size_t max_entries, MetricsRegistry& metrics)
    : mount_(std::move(mount)),
      max_entries_(max_entries),
      size_gauge_(metrics.gauge("ztai_cgroup_cache_entries", "cgroup v2 id -> path entries held")),
      evicted_(metrics.counter("ztai_cgroup_cache_evicted_total", "cgroup paths evicted at the cache cap")),
      by_handle_(metrics.counter("ztai_cgroup_cache_opened_by_id_total",
                                 "cgroups found by opening their id (no scan or mkdir record had them)")),
      unresolved_(metrics.counter("ztai_cgroup_unresolved_total", "cgroup ids that could not be turned into a path")) {
  if (!mount_.empty()) mount_fd_ = open(mount_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

CgroupPaths::~CgroupPaths() {
  if (mount_fd_ >= 0) close(mount_fd_);
}

size_t CgroupPaths::scan() {
  if (mount_.empty()) return 0;
  namespace fs = std::filesystem;
  size_t added = 0;
  std::error_code ec;
  struct stat sb;
  if (stat(mount_.c_str(), &sb) == 0) {
    insert(sb.st_ino, "/");
    ++added;
  }
  // Cgroups come and go during the walk; a directory that vanished is skipped, not an error.
  for (fs::recursive_directory_iterator it(mount_, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    if (stat(it->path().c_str(), &sb) != 0) continue;
    insert(sb.st_ino, it->path().string().substr(mount_.size()));
    ++added;
  }
  return added;
}

void CgroupPaths::on_mkdir(uint64_t id, std::string_view path) {
  struct stat sb;
  std::string full = mount_ + std::string(path);
  if (!mount_.empty() && stat(full.c_str(), &sb) == 0 && sb.st_ino == id) {
    insert(id, path.empty() ? "/" : std::string(path));
    return;
  }
  // Seen from inside a cgroup namespace, or already removed: ask the kernel by id.
  if (entries_.count(id)) return;
  if (auto p = open_by_id(id)) insert(id, std::move(*p));
}

void CgroupPaths::on_rmdir(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  order_.erase(it->second.order_it);
  entries_.erase(it);
  size_gauge_.set(static_cast<int64_t>(entries_.size()));
}

const std::string* CgroupPaths::find(uint64_t id) {
  if (auto it = entries_.find(id); it != entries_.end()) return &it->second.path;
  auto path = open_by_id(id);
  if (!path) {
    unresolved_.inc();
    return nullptr;
  }
  by_handle_.inc();
  insert(id, std::move(*path));
  return &entries_.find(id)->second.path;
}

void CgroupPaths::insert(uint64_t id, std::string path) {
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.path = std::move(path);
    return;
  }
  while (entries_.size() >= max_entries_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
    evicted_.inc();
  }
  order_.push_back(id);
  entries_.emplace(id, Entry{std::move(path), std::prev(order_.end())});
  size_gauge_.set(static_cast<int64_t>(entries_.size()));
}

std::optional<std::string> CgroupPaths::open_by_id(uint64_t id) {
  if (mount_fd_ < 0) return std::nullopt;
  struct {
    file_handle handle;
    uint64_t id;
  } fh{};
  fh.handle.handle_bytes = sizeof(uint64_t);
  fh.handle.handle_type = kKernfsHandleType;
  fh.id = id;
  int fd = open_by_handle_at(mount_fd_, &fh.handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char link[64];
  char target[4096];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof(target));
  close(fd);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(target)) return std::nullopt;
  std::string_view full(target, static_cast<size_t>(n));
  if (!full.starts_with(mount_)) return std::nullopt;
  full.remove_prefix(mount_.size());
  return full.empty() ? std::string("/") : std::string(full);
}

std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupLine> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    ProcCgroupLine l;
    auto [end, ec] = std::from_chars(line.data(), line.data() + c1, l.hierarchy);
    if (ec != std::errc() || end != line.data() + c1) continue;
    l.controllers = line.substr(c1 + 1, c2 - c1 - 1);
    l.path = line.substr(c2 + 1);
    out.push_back(std::move(l));
  }
  return out;
}

bool has_cgroup_v1_mounts(const std::vector<MountEntry>& mounts) {
  for (const MountEntry& m : mounts) {
    if (m.fstype == "cgroup") return true;
  }
  return false;
}

}  // namespace ztai
