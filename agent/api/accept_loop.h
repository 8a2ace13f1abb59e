// One thread that accepts connections on a listening socket and hands each to a handler, one at a
// time, until its owner destroys it (an eventfd wakes the thread). The HTTP endpoint and the
// control socket both serve this way.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "agent/common/result.h"

namespace ztai {

class AcceptLoop {
 public:
  // Takes ownership of listen_fd (closed on failure too). Each accepted connection gets send and
  // receive timeouts of io_timeout_seconds, is passed to serve, and is closed after it returns.
  static Result<std::unique_ptr<AcceptLoop>> start(int listen_fd, std::string name, int io_timeout_seconds,
                                                   std::function<void(int fd)> serve);
  ~AcceptLoop();  // wakes and joins the thread, then closes the sockets
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

 private:
  AcceptLoop(int listen_fd, int stop_fd, std::string name, int io_timeout_seconds, std::function<void(int)> serve)
      : listen_fd_(listen_fd), stop_fd_(stop_fd), name_(std::move(name)), io_timeout_seconds_(io_timeout_seconds),
        serve_(std::move(serve)) {}
  void run();

  int listen_fd_;
  int stop_fd_;
  std::string name_;
  int io_timeout_seconds_;
  std::function<void(int)> serve_;
  std::thread thread_;
};

// Send and receive timeouts on a connected socket, so a stalled peer cannot hold a server.
void set_io_timeouts(int fd, int seconds);

// Sends all of data on a connected socket, without SIGPIPE; false when the peer went away or the
// send timed out.
bool send_all(int fd, std::string_view data);

}  // namespace ztai
