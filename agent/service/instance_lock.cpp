#include "agent/service/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace ztai {

Result<InstanceLock> InstanceLock::acquire(const std::string& path) {
  // The folder is made when missing (the unit's RuntimeDirectory= makes it under systemd); only
  // the last level, so a wrong path is still an error.
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) mkdir(folder.c_str(), 0755);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "lock_file {}: {}", path, strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (err == EWOULDBLOCK) {
      return make_error(ErrorCode::kInvalidArgument,
                        "another ztai agent (pid {}) is running on this host and holds {}: stop it first "
                        "(`systemctl stop ztai`); two agents would double every alert",
                        holder.empty() ? "unknown" : holder, path);
    }
    return make_error(ErrorCode::kIo, "lock_file {}: {}", path, strerror(err));
  }
  // The pid is for the next agent's error message only; the lock is the flock, not the content.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    return make_error(ErrorCode::kIo, "lock_file {}: writing the pid: {}", path, strerror(err));
  }
  return InstanceLock(fd);
}

InstanceLock::~InstanceLock() {
  // Not unlinked: a second agent may have the file open and be waiting to lock this very inode.
  if (fd_ >= 0) close(fd_);
}

}  // namespace ztai
