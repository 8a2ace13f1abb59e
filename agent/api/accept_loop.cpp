#include "agent/api/accept_loop.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/common/log.h"

namespace ztai {

void set_io_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Result<std::unique_ptr<AcceptLoop>> AcceptLoop::start(int listen_fd, std::string name, int io_timeout_seconds,
                                                      std::function<void(int fd)> serve) {
  int stop = eventfd(0, EFD_CLOEXEC);
  if (stop < 0) {
    int err = errno;
    close(listen_fd);
    return make_error(ErrorCode::kIo, "{}: eventfd: {}", name, strerror(err));
  }
  std::unique_ptr<AcceptLoop> loop(
      new AcceptLoop(listen_fd, stop, std::move(name), io_timeout_seconds, std::move(serve)));
  loop->thread_ = std::thread([p = loop.get()] { p->run(); });
  return loop;
}

AcceptLoop::~AcceptLoop() {
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) < 0) log::warn("{}: cannot signal its thread", name_);
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(stop_fd_);
}

void AcceptLoop::run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::warn("{}: poll: {}", name_, strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_io_timeouts(fd, io_timeout_seconds_);
    serve_(fd);
    close(fd);
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace ztai
