#include "tests/support/notify_listener.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace ztai::testing {

bool Notification::has(const std::string& assignment) const {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line == assignment) return true;
  }
  return false;
}

std::string Notification::value(const std::string& var) const {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(var + "=", 0) == 0) return line.substr(var.size() + 1);
  }
  return "";
}

NotifyListener::NotifyListener() {
  char tmpl[] = "/tmp/ztai-notify-XXXXXX";
  if (!mkdtemp(tmpl)) return;
  dir_ = tmpl;
  // Reachable by an agent that dropped privileges, like systemd's own socket.
  chmod(dir_.c_str(), 0755);
  std::string path = dir_ + "/notify";
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int on = 1;
  if (fd_ < 0 || setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0 ||
      bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return;
  }
  chmod(path.c_str(), 0666);
  path_ = path;
}

NotifyListener::~NotifyListener() {
  if (fd_ >= 0) close(fd_);
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::optional<Notification> NotifyListener::next(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (fd_ < 0 || poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[4096];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  iovec iov{buf, sizeof(buf)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = recvmsg(fd_, &msg, 0);
  if (n < 0) return std::nullopt;
  Notification out;
  out.text.assign(buf, static_cast<size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      out.sender = cred.pid;
    }
  }
  return out;
}

std::optional<Notification> NotifyListener::wait_for(const std::string& assignment, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto n = next(left);
    if (!n) return std::nullopt;
    if (n->has(assignment)) return n;
  }
}

}  // namespace ztai::testing
