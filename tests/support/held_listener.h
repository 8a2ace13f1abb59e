// A server workload for segmentation tests: a child forked into a test cgroup listens on TCP
// 0.0.0.0 (after `prepare`, e.g. entering a network namespace) and holds its socket until the
// object goes, so the kernel lists it for as long as the test needs.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>

#include "tests/support/loopback.h"
#include "tests/support/test_cgroup.h"

namespace ztai::testing {

class HeldListener {
 public:
  HeldListener(const TestCgroup& cgroup, const std::string& child, const std::function<bool()>& prepare = {}) {
    int ports[2], hold[2];
    if (pipe(ports) != 0) return;
    if (pipe(hold) != 0) {
      close(ports[0]);
      close(ports[1]);
      return;
    }
    pid_ = cgroup.fork_into(
        [&] {
          close(ports[0]);
          close(hold[1]);
          if (prepare && !prepare()) return 1;
          LoopbackListener l(AF_INET, SOCK_STREAM, "0.0.0.0");
          if (write(ports[1], &l.port, sizeof(l.port)) != sizeof(l.port)) return 1;
          char c;
          return read(hold[0], &c, 1) >= 0 ? 0 : 1;
        },
        child);
    close(ports[1]);
    close(hold[0]);
    hold_ = hold[1];
    if (read(ports[0], &port_, sizeof(port_)) != sizeof(port_)) port_ = 0;
    close(ports[0]);
  }
  ~HeldListener() { release(); }
  HeldListener(const HeldListener&) = delete;
  HeldListener& operator=(const HeldListener&) = delete;

  uint16_t port() const { return port_; }  // 0 when the child could not listen
  // Lets the child close its socket and exit; its wait status (0: it held the socket throughout).
  int release() {
    if (pid_ <= 0) return -1;
    close(hold_);
    int status = TestCgroup::wait(pid_);
    pid_ = 0;
    return status;
  }

 private:
  pid_t pid_ = 0;
  int hold_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ztai::testing
