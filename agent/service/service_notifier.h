// Tells the service manager how the agent is doing, with the sd_notify(3) datagram protocol:
// READY=1 once the programs are attached and the rules loaded, WATCHDOG=1 from the main loop,
// RELOADING=1 / READY=1 around a rule reload, STOPPING=1 on the way out, STATUS= for humans.
//
// The protocol is written here rather than linked from libsystemd: it is one datagram to the
// AF_UNIX socket named by $NOTIFY_SOCKET (documented as stable), the agent needs none of
// libsystemd's other parts, and the container image and static builds stay free of it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "agent/common/result.h"

namespace ztai {

class ServiceNotifier {
 public:
  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID; disabled when NOTIFY_SOCKET is unset.
  // The variables are removed so that processes the agent starts do not inherit them.
  static ServiceNotifier from_environment();
  // A notifier sending to `socket_path` ("@name" is an abstract socket), for tests.
  explicit ServiceNotifier(std::string socket_path, std::chrono::microseconds watchdog = {})
      : socket_(std::move(socket_path)), watchdog_(watchdog) {}
  ServiceNotifier() = default;

  bool enabled() const { return !socket_.empty(); }
  // How often the manager expects WATCHDOG=1; zero when it does not watch.
  std::chrono::microseconds watchdog_timeout() const { return watchdog_; }

  Status ready(std::string_view status) const;
  Status reloading(std::string_view status) const;
  Status stopping(std::string_view status) const;
  Status status(std::string_view status) const;
  Status watchdog() const;
  // One datagram of newline-separated VAR=value assignments; a no-op when disabled.
  Status send(std::string_view state) const;

 private:
  std::string socket_;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace ztai
