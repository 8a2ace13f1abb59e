#include "agent/service/service_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace ztai {
namespace {

// A STATUS= value is one line: a newline would start a new assignment.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

ServiceNotifier ServiceNotifier::from_environment() {
  const char* socket = getenv("NOTIFY_SOCKET");
  std::string path = socket ? socket : "";
  std::chrono::microseconds watchdog{0};
  const char* usec = getenv("WATCHDOG_USEC");
  const char* pid = getenv("WATCHDOG_PID");
  // WATCHDOG_PID names the process the manager watches: a child that inherited it is not that one.
  bool ours = !pid || strtoll(pid, nullptr, 10) == getpid();
  if (usec && ours) watchdog = std::chrono::microseconds(strtoull(usec, nullptr, 10));
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  return ServiceNotifier(std::move(path), watchdog);
}

Status ServiceNotifier::ready(std::string_view status) const {
  return send(fmt::format("READY=1\nSTATUS={}", one_line(status)));
}

Status ServiceNotifier::reloading(std::string_view status) const {
  // MONOTONIC_USEC lets a manager that supports Type=notify-reload match this to its reload job.
  return send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", monotonic_usec(), one_line(status)));
}

Status ServiceNotifier::stopping(std::string_view status) const {
  return send(fmt::format("STOPPING=1\nSTATUS={}", one_line(status)));
}

Status ServiceNotifier::status(std::string_view status) const {
  return send(fmt::format("STATUS={}", one_line(status)));
}

Status ServiceNotifier::watchdog() const {
  if (watchdog_.count() == 0) return {};
  return send("WATCHDOG=1");
}

Status ServiceNotifier::send(std::string_view state) const {
  if (!enabled()) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(addr.sun_path) || (socket_[0] != '/' && socket_[0] != '@')) {
    return make_error(ErrorCode::kInvalidArgument, "NOTIFY_SOCKET '{}' is not an absolute path or @abstract name",
                      socket_);
  }
  memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "notify socket: {}", strerror(errno));
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) return make_error(ErrorCode::kIo, "notify {}: {}", socket_, strerror(err));
  return {};
}

}  // namespace ztai
