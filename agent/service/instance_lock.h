// One agent per host: an exclusive flock(2) on a lock file held for the whole run. Two agents
// would load two sets of programs, double every alert and fight over enforcement maps. The kernel
// drops the lock when the holder dies, so a crashed agent never blocks its restart; the file keeps
// the holder's pid for the error message.
#pragma once

#include <string>

#include "agent/common/result.h"

namespace ztai {

class InstanceLock {
 public:
  // Creates the file and its folder (one level) if needed; an error names the running agent's pid.
  static Result<InstanceLock> acquire(const std::string& path);
  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ztai
