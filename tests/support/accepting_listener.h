// A TCP listener on a loopback address that accepts and closes every connection in a thread of
// its own, for benchmarks whose connect() must complete the handshake.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace ztai::testing {

class AcceptingListener {
 public:
  explicit AcceptingListener(const char* ip = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr_.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &addr_.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_));
    listen(fd_, 4096);
    socklen_t len = sizeof(addr_);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr_), &len);
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) close(c);
      }
    });
  }
  ~AcceptingListener() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);  // wakes accept() without a connect, which a policy might deny
    thread_.join();
    close(fd_);
  }
  AcceptingListener(const AcceptingListener&) = delete;
  AcceptingListener& operator=(const AcceptingListener&) = delete;

  const sockaddr_in& addr() const { return addr_; }
  uint16_t port() const { return ntohs(addr_.sin_port); }

  void connect_once() const {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect(s, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    close(s);
  }

 private:
  int fd_ = -1;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ztai::testing
