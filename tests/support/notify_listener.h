// The service manager's side of sd_notify for tests: a datagram socket at a fresh path that
// receives the agent's notifications with the sender's pid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace ztai::testing {

struct Notification {
  std::string text;  // newline-separated VAR=value assignments
  pid_t sender = -1;
  bool has(const std::string& assignment) const;  // one whole line equals `assignment`
  std::string value(const std::string& var) const;
};

class NotifyListener {
 public:
  NotifyListener();  // binds a socket under the temp dir; path() empty on failure
  ~NotifyListener();
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  const std::string& path() const { return path_; }
  std::optional<Notification> next(std::chrono::milliseconds timeout);
  // Skips notifications until one has `assignment`.
  std::optional<Notification> wait_for(const std::string& assignment, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string dir_;
  std::string path_;
};

}  // namespace ztai::testing
