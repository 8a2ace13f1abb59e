// An IPv4 or IPv6 address and port in the form connect(), bind() and sendto() take, for kernel
// tests and benchmarks that make real calls.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace ztai::testing {

inline sockaddr_storage socket_address(int family, const char* ip, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (family == AF_INET6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &s6->sin6_addr);
    len = sizeof(*s6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    inet_pton(AF_INET, ip, &s4->sin_addr);
    len = sizeof(*s4);
  }
  return ss;
}

}  // namespace ztai::testing
