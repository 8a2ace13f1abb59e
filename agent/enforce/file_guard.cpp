#include "agent/enforce/file_guard.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "agent/common/log.h"
#include "agent/identity/procfs.h"
#include "agent/kernel/guard_maps.h"

namespace ztai::enforce {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kInotifyMask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

uint64_t fan_mask(uint8_t access) {
  uint64_t m = 0;
  if (access & (kFileRead | kFileWrite)) m |= FAN_OPEN_PERM;
  if (access & kFileExec) m |= FAN_OPEN_EXEC_PERM;
  return m;
}

uint64_t boot_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t dir_inode(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_ino) : 0;
}

std::string fd_path(int fd) {
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Result<std::unique_ptr<FileGuard>> FileGuard::start(FileGuardSettings settings, DenialSink sink) {
  int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0) {
    int err = errno;
    return make_error(err == EPERM ? ErrorCode::kPermission : ErrorCode::kUnsupported,
                      "fanotify permission events are unavailable ({}): protected files need CAP_SYS_ADMIN and "
                      "CONFIG_FANOTIFY_ACCESS_PERMISSIONS",
                      strerror(err));
  }
  int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ino < 0 || stop < 0) {
    int err = errno;
    for (int fd : {fan, ino, stop}) {
      if (fd >= 0) close(fd);
    }
    return make_error(ErrorCode::kIo, "creating the protected-file watchers failed: {}", strerror(err));
  }
  std::unique_ptr<FileGuard> g(new FileGuard(std::move(settings), std::move(sink), fan, ino, stop));
  g->thread_ = std::thread([p = g.get()] { p->run(); });
  return g;
}

FileGuard::FileGuard(FileGuardSettings settings, DenialSink sink, int fan_fd, int inotify_fd, int stop_fd)
    : settings_(std::move(settings)), sink_(std::move(sink)), fan_fd_(fan_fd), inotify_fd_(inotify_fd),
      stop_fd_(stop_fd) {}

FileGuard::~FileGuard() {
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) log::warn("stopping the protected-file guard failed");
  if (thread_.joinable()) thread_.join();
  for (auto& [key, mark] : marks_) close(mark.fd);
  // Closing the group answers every pending permission event with allow.
  close(fan_fd_);
  close(inotify_fd_);
  close(stop_fd_);
}

size_t FileGuard::marked() const {
  std::lock_guard lock(mutex_);
  return marks_.size();
}

Status FileGuard::apply(FileGuardPlan plan) {
  for (const FilePolicy& p : plan.policies) {
    for (const FileRule& r : p.deny) {
      if (r.path.kind == PathPattern::Kind::kSuffix) {
        return make_error(ErrorCode::kInvalidArgument,
                          "policy {} rule {}: *{} names no file or directory to watch; protected files are exact "
                          "paths or directories (\"/dir/*\")",
                          p.name, r.name, r.path.value);
      }
      if (!fan_mask(r.access)) {
        return make_error(ErrorCode::kInvalidArgument, "policy {} rule {}: no access to deny", p.name, r.name);
      }
    }
  }
  std::lock_guard lock(mutex_);
  plan_ = std::move(plan);
  remark_locked(false);
  return {};
}

Status FileGuard::mark_locked(const std::string& path, uint64_t mask, const RuleRefs& exact, bool dir_tree,
                              std::map<InodeKey, Mark>& next, size_t& dirs) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) return {};  // not there yet: the parent's watch will tell
  if (dir_tree != S_ISDIR(sb.st_mode)) return {};
  InodeKey key{sb.st_dev, sb.st_ino};
  auto it = next.find(key);
  if (it != next.end()) {
    it->second.mask |= mask;
    it->second.exact_rules.insert(exact.begin(), exact.end());
    return {};
  }
  if (dir_tree && ++dirs > settings_.max_marked_dirs) {
    return make_error(ErrorCode::kInvalidArgument, "more than {} directories under protected trees",
                      settings_.max_marked_dirs);
  }
  auto old = marks_.find(key);
  int fd = old != marks_.end() ? dup(old->second.fd) : open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, "opening {} to protect it failed: {}", path, strerror(errno));
  next[key] = Mark{fd, mask, exact};
  return {};
}

void FileGuard::remark_locked(bool keep_moved) {
  std::map<InodeKey, Mark> next;
  std::set<std::string> watch_dirs;
  size_t dirs = 0;
  for (size_t pi = 0; pi < plan_.policies.size(); ++pi) {
    const FilePolicy& p = plan_.policies[pi];
    for (size_t ri = 0; ri < p.deny.size(); ++ri) {
      const FileRule& r = p.deny[ri];
      uint64_t mask = fan_mask(r.access);
      std::string path = r.path.value;
      if (r.path.kind == PathPattern::Kind::kExact) {
        watch_dirs.insert(fs::path(path).parent_path().string());
        if (Status s = mark_locked(path, mask, {{pi, ri}}, false, next, dirs); !s) log::warn("{}", s.error().message());
        continue;
      }
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      watch_dirs.insert(fs::path(path).parent_path().string());
      std::error_code ec;
      std::vector<std::string> tree{path};
      for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) tree.push_back(it->path().string());
      }
      for (const std::string& d : tree) {
        watch_dirs.insert(d);
        if (Status s = mark_locked(d, mask | FAN_EVENT_ON_CHILD, {}, true, next, dirs); !s) {
          log::warn("protected tree {}: {}", path, s.error().message());
          break;
        }
      }
    }
  }
  if (keep_moved) {
    size_t moved = 0;
    for (auto& [key, mark] : marks_) {
      struct stat sb;
      if (next.count(key) || mark.exact_rules.empty() || fstat(mark.fd, &sb) != 0 || sb.st_nlink == 0) continue;
      if (++moved > settings_.max_moved_files) break;
      next[key] = Mark{dup(mark.fd), mark.mask, mark.exact_rules};
    }
  }
  // Add and widen first, then narrow and remove, so a file protected before and after never
  // goes unmarked.
  for (auto& [key, mark] : next) {
    auto old = marks_.find(key);
    uint64_t had = old != marks_.end() ? old->second.mask : 0;
    std::string via = "/proc/self/fd/" + std::to_string(mark.fd);
    if ((mark.mask & ~had) && fanotify_mark(fan_fd_, FAN_MARK_ADD, mark.mask, AT_FDCWD, via.c_str()) != 0) {
      log::warn("protecting a file failed: {}", strerror(errno));
      stats_.errors++;
    }
    if ((had & ~mark.mask) && fanotify_mark(fan_fd_, FAN_MARK_REMOVE, had & ~mark.mask, AT_FDCWD, via.c_str()) != 0) {
      stats_.errors++;
    }
  }
  for (auto& [key, mark] : marks_) {
    if (!next.count(key)) {
      std::string via = "/proc/self/fd/" + std::to_string(mark.fd);
      // ENOENT: the inode is gone and its mark with it.
      if (fanotify_mark(fan_fd_, FAN_MARK_REMOVE, mark.mask, AT_FDCWD, via.c_str()) != 0 && errno != ENOENT) {
        stats_.errors++;
      }
    }
    close(mark.fd);
  }
  marks_ = std::move(next);

  std::map<int, std::string> watches;
  for (const std::string& d : watch_dirs) {
    int wd = inotify_add_watch(inotify_fd_, d.c_str(), kInotifyMask);
    if (wd >= 0) watches[wd] = d;
  }
  for (const auto& [wd, dir] : watches_) {
    if (!watches.count(wd)) inotify_rm_watch(inotify_fd_, wd);
  }
  watches_ = std::move(watches);
  cache_.clear();
  order_.clear();
}

std::string FileGuard::cgroup_of(int pid) const {
  std::ifstream in(settings_.proc_root + "/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return {};
}

void FileGuard::run() {
  alignas(fanotify_event_metadata) char buf[8192];
  alignas(inotify_event) char ibuf[8192];
  pollfd fds[3] = {{fan_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (true) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("protected-file guard stopped: poll failed: {}", strerror(errno));
      return;
    }
    if (fds[2].revents) return;
    if (fds[1].revents & POLLIN) {
      bool rescan = false;
      ssize_t n;
      while ((n = read(inotify_fd_, ibuf, sizeof(ibuf))) > 0) {
        std::lock_guard lock(mutex_);
        for (char* p = ibuf; p < ibuf + n;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          p += sizeof(inotify_event) + ev->len;
          if (ev->mask & (IN_ISDIR | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) {
            rescan = true;
            continue;
          }
          auto w = watches_.find(ev->wd);
          if (w == watches_.end() || ev->len == 0) continue;
          std::string path = w->second + "/" + ev->name;
          for (const FilePolicy& pol : plan_.policies) {
            for (const FileRule& r : pol.deny) {
              if (r.path.kind == PathPattern::Kind::kExact && r.path.value == path) rescan = true;
            }
          }
        }
      }
      if (rescan) {
        std::lock_guard lock(mutex_);
        remark_locked(true);
      }
    }
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t len;
    while ((len = read(fan_fd_, buf, sizeof(buf))) > 0) {
      auto* md = reinterpret_cast<fanotify_event_metadata*>(buf);
      for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
        if (md->vers != FANOTIFY_METADATA_VERSION) {
          log::error("protected-file guard stopped: fanotify metadata version {} is not {}", md->vers,
                     FANOTIFY_METADATA_VERSION);
          return;
        }
        if (md->fd < 0) continue;
        if (md->mask & (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)) handle_permission(md->fd, md->pid, md->mask);
        close(md->fd);
      }
    }
  }
}

std::optional<FileDecision> FileGuard::cached_decision(const std::string& key, bool& hit) {
  auto it = cache_.find(key);
  hit = it != cache_.end();
  if (!hit) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second.order);
  if (!it->second.verdict) return std::nullopt;
  auto [pi, ri] = *it->second.verdict;
  const FilePolicy& p = plan_.policies[pi];
  return FileDecision{&p, &p.deny[ri], it->second.workload};
}

void FileGuard::handle_permission(int fd, int pid, uint64_t mask) {
  stats_.events++;
  fanotify_response response{fd, FAN_ALLOW};
  std::optional<Event> denial;
  bool exec_open = mask & FAN_OPEN_EXEC_PERM;
  if (static_cast<uint32_t>(pid) != settings_.self_tgid) {
    struct stat sb {};
    std::string cgroup = cgroup_of(pid);
    if (fstat(fd, &sb) != 0 || cgroup.empty()) {
      stats_.errors++;  // the process is gone, or its cgroup cannot be read
    } else {
      std::lock_guard lock(mutex_);
      std::string key = cgroup + '\0' + std::to_string(sb.st_dev) + ':' + std::to_string(sb.st_ino) +
                        (exec_open ? ":x" : ":o");
      bool hit = false;
      std::optional<FileDecision> d = cached_decision(key, hit);
      std::string path = fd_path(fd);
      if (hit) {
        stats_.cache_hits++;
      } else {
        auto mark = marks_.find({sb.st_dev, sb.st_ino});
        d = decide_open(plan_, cgroup, path, exec_open, mark != marks_.end() ? mark->second.exact_rules : RuleRefs{});
        if (cache_.size() >= settings_.cache_entries && !order_.empty()) {
          cache_.erase(order_.back());
          order_.pop_back();
        }
        order_.push_front(key);
        CacheEntry e;
        e.order = order_.begin();
        if (d) {
          e.verdict = std::make_pair(static_cast<size_t>(d->policy - plan_.policies.data()),
                                     static_cast<size_t>(d->rule - d->policy->deny.data()));
          e.workload = d->workload;
        }
        cache_.emplace(key, std::move(e));
      }
      if (d) {
        if (d->policy->audit) {
          stats_.audited++;
        } else {
          stats_.denied++;
          response.response = FAN_DENY;
        }
        Event ev;
        ev.hdr.type = EventType::kGuardDenial;
        ev.hdr.boot_ns = boot_ns();
        ev.hdr.tid = static_cast<uint32_t>(pid);
        auto ticks = Procfs(settings_.proc_root).start_ticks(static_cast<uint32_t>(pid));
        ev.hdr.proc = {static_cast<uint32_t>(pid), ticks ? *ticks : 0};
        ev.hdr.cgroup_id = dir_inode(settings_.cgroup2_mount + cgroup);
        GuardDenialPayload p;
        p.kind = DenialKind::kFileOpen;
        p.audit = d->policy->audit;
        p.workload_cgroup_id = dir_inode(settings_.cgroup2_mount + d->workload);
        p.policy_id = d->policy->policy_id;
        p.rule_id = d->rule->rule_id;
        p.dev = kernel_dev(sb.st_dev);
        p.ino = sb.st_ino;
        p.path = path;
        p.access = exec_open ? "exec" : "open";
        p.policy_name = d->policy->name;
        p.rule_name = d->rule->name;
        ev.payload = std::move(p);
        denial = std::move(ev);
      }
    }
  }
  // Answer first: the opener waits for it; the report can follow.
  if (write(fan_fd_, &response, sizeof(response)) != sizeof(response)) stats_.errors++;
  if (denial && sink_) sink_(std::move(*denial));
}

}  // namespace ztai::enforce
