#include "agent/enforce/process_guard.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/common/log.h"

namespace ztai::enforce {
namespace {

constexpr uint32_t kWatchMask =
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
// A package upgrade writes many files at once: resolve once they have settled.
constexpr int kSettleMs = 50;

}  // namespace

Result<std::unique_ptr<ProcessGuard>> ProcessGuard::start(std::unique_ptr<GuardMaps> maps, ExecResolveLimits limits) {
  int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ino < 0 || stop < 0) {
    int err = errno;
    if (ino >= 0) close(ino);
    if (stop >= 0) close(stop);
    return make_error(ErrorCode::kIo, "creating the executable watcher failed: {}", strerror(err));
  }
  std::unique_ptr<ProcessGuard> g(new ProcessGuard(std::move(maps), limits, ino, stop));
  g->thread_ = std::thread([p = g.get()] { p->run(); });
  return g;
}

ProcessGuard::ProcessGuard(std::unique_ptr<GuardMaps> maps, ExecResolveLimits limits, int inotify_fd, int stop_fd)
    : maps_(std::move(maps)), limits_(limits), inotify_fd_(inotify_fd), stop_fd_(stop_fd) {}

ProcessGuard::~ProcessGuard() {
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) log::warn("stopping the executable watcher failed");
  if (thread_.joinable()) thread_.join();
  close(inotify_fd_);
  close(stop_fd_);
}

Status ProcessGuard::apply(GuardPlan plan) {
  std::lock_guard lock(mutex_);
  GuardPlan previous = std::move(plan_);
  plan_ = std::move(plan);
  Status s = apply_locked();
  if (!s) plan_ = std::move(previous);
  return s;
}

std::vector<std::string> ProcessGuard::notes() const {
  std::lock_guard lock(mutex_);
  return notes_;
}

Status ProcessGuard::apply_locked() {
  ExecResolution r = resolve_exec_files(plan_, limits_);
  // Watches first: a change made while the tables are written is then reported, not missed.
  std::vector<int> watches;
  for (const std::string& dir : r.watch_dirs) {
    int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask | IN_ONLYDIR);
    if (wd >= 0) watches.push_back(wd);
  }
  for (int wd : watches_) {
    if (std::find(watches.begin(), watches.end(), wd) == watches.end()) inotify_rm_watch(inotify_fd_, wd);
  }
  watches_ = std::move(watches);
  auto tables = build_guard_tables(plan_, r.files);
  if (!tables) return tables.error();
  if (Status s = maps_->apply(*tables); !s) return s;
  for (const std::string& n : r.notes) {
    if (std::find(notes_.begin(), notes_.end(), n) == notes_.end()) log::warn("exec policy: {}", n);
  }
  notes_ = std::move(r.notes);
  resolutions_++;
  return {};
}

void ProcessGuard::run() {
  alignas(inotify_event) char buf[8192];
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("executable watcher stopped: poll failed: {}", strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    // Drain until quiet for kSettleMs.
    do {
      while (read(inotify_fd_, buf, sizeof(buf)) > 0) {
      }
    } while (poll(fds, 1, kSettleMs) > 0 && !(fds[0].revents & ~POLLIN));
    std::lock_guard lock(mutex_);
    if (Status s = apply_locked(); !s) log::error("exec policy: re-resolving executables failed: {}", s.error().message());
  }
}

}  // namespace ztai::enforce
