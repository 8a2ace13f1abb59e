#include "tests/e2e/support/agent_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ztai::testing {

AgentProcess::AgentProcess(const std::vector<std::string>& args, std::chrono::milliseconds ready_timeout) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    std::vector<char*> argv;
    std::string bin = ZTAI_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!read_some(err_fd_, err_buf_, 100) && waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    if (err_buf_.find("running:") != std::string::npos) {
      ready_ = true;
      return;
    }
  }
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) stop();
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool AgentProcess::read_some(int fd, std::string& buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return true;
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buf.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> AgentProcess::next_line(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    if (size_t nl = out_buf_.find('\n'); nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!read_some(out_fd_, out_buf_, static_cast<int>(std::min<long>(left.count(), 100)))) return std::nullopt;
  }
}

int AgentProcess::stop(bool read_stdout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  // By the clock, not by reads: a chatty agent's log lines must not use up its time to stop.
  // Detaching ~100 programs waits for an RCU grace period each, seconds on a loaded machine.
  // Both pipes are drained meanwhile: an agent whose stdout pipe is full (alerts nobody read)
  // blocks in write() and cannot finish draining its outputs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    for (pollfd p{out_fd_, POLLIN, 0}; read_stdout && poll(&p, 1, 0) > 0 && read_some(out_fd_, out_buf_, 0);) {
    }
    read_some(err_fd_, err_buf_, 100);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void AgentProcess::kill_now() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

const std::string& AgentProcess::stderr_text() {
  while (read_some(err_fd_, err_buf_, 0) && poll(nullptr, 0, 0) == 0) {
    pollfd p{err_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
  }
  return err_buf_;
}

}  // namespace ztai::testing
