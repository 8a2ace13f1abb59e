// Network namespaces of the test's own, linked by veth pairs, for kernel tests of traffic between
// namespaces (pods, containers). Each is held by a child process that dies with the test (parent
// death signal), so nothing is left behind, not even after a crash: the namespace and its links go
// with their last process. Traffic stays inside them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"

namespace ztai::testing {

class TestNetns {
 public:
  // A new namespace with its loopback up.
  static Result<std::unique_ptr<TestNetns>> create();
  ~TestNetns();
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  pid_t holder() const { return holder_; }
  std::string path() const;  // /proc/<holder>/ns/net
  // Moves the calling thread into it (in a forked child: the whole child); false on failure.
  bool enter() const;
  // Runs `ip <args>` inside it.
  Status ip(const std::vector<std::string>& args) const;
  // Ends the holding process: the namespace lives on through the test's descriptor with no process
  // in it, as a pod of another node looks from here. path() no longer names it.
  void drop_holder();

 private:
  TestNetns(pid_t holder, int fd) : holder_(holder), fd_(fd) {}
  pid_t holder_;
  int fd_;
};

// Two new namespaces linked by a veth pair, up: `callers` at <net4>.1/24 and <net6>::1/64, `server`
// at <net4>.2 and <net6>::2 (net4 "198.18.7", net6 "fd7a:7a74").
struct LinkedNamespaces {
  std::unique_ptr<TestNetns> callers, server;
};
Result<LinkedNamespaces> linked_namespaces(const std::string& net4, const std::string& net6);

}  // namespace ztai::testing
