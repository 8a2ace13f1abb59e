// Runs the real ztai binary as a child process and reads its stdout/stderr line by line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ztai::testing {

class AgentProcess {
 public:
  // Starts `ztai <args>` and waits until it logs that it is running (or exits).
  explicit AgentProcess(const std::vector<std::string>& args,
                        std::chrono::milliseconds ready_timeout = std::chrono::seconds(30));
  ~AgentProcess();  // SIGTERM, then SIGKILL if it does not stop
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  // Next stdout line, or nullopt at the deadline.
  std::optional<std::string> next_line(std::chrono::steady_clock::time_point deadline);
  // Sends SIGTERM and returns the exit status (as waitpid reports it); SIGKILL after 60 s.
  // read_stdout false leaves the agent's stdout pipe unread, as a consumer that stopped reading.
  int stop(bool read_stdout = true);
  // SIGKILL, as a crash: the agent cleans nothing up. Returns once it is reaped.
  void kill_now();
  const std::string& stderr_text();

 private:
  bool read_some(int fd, std::string& buf, int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool ready_ = false;
  std::string out_buf_;
  std::string err_buf_;
};

}  // namespace ztai::testing
