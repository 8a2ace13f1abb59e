// Sockets for kernel tests whose traffic stays on loopback: a listener (TCP) or bound UDP socket
// on an address of the test's choosing, and a connect (TCP) or sendto (UDP) reporting its errno.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "tests/support/socket_address.h"

namespace ztai::testing {

// Bound to ip on a port the kernel picks (port stays 0 when that failed); listening for TCP.
struct LoopbackListener {
  int fd = -1;
  uint16_t port = 0;
  LoopbackListener(int family, int type, const char* ip) {
    fd = socket(family, type | SOCK_CLOEXEC, 0);
    socklen_t len = 0;
    sockaddr_storage ss = socket_address(family, ip, 0, len);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return;
    if (type == SOCK_STREAM && listen(fd, 64) != 0) return;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  ~LoopbackListener() {
    if (fd >= 0) close(fd);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
};

// 0 when the connect (TCP) or sendto (UDP) went through, else its errno.
inline int reach(int family, int type, const char* ip, uint16_t port) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  socklen_t len = 0;
  sockaddr_storage ss = socket_address(family, ip, port, len);
  int rc = type == SOCK_STREAM ? connect(fd, reinterpret_cast<sockaddr*>(&ss), len)
                               : static_cast<int>(sendto(fd, "q", 1, 0, reinterpret_cast<sockaddr*>(&ss), len));
  int err = rc < 0 ? errno : 0;
  close(fd);
  return err;
}

}  // namespace ztai::testing
