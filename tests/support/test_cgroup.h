// A cgroup v2 directory of the test's own, under the hierarchy found in /proc/mounts, for tests
// whose programs act on a workload's cgroup. Only children the test forks are moved into it;
// the directory is removed when the object goes, also after a failed assertion.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"

namespace ztai::testing {

class TestCgroup {
 public:
  // Creates <cgroup2 mount>/ztai-test-<tag>-<pid>.
  static Result<std::unique_ptr<TestCgroup>> create(const std::string& tag);
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::string& path() const { return path_; }
  // The path below the cgroup v2 mount, as policy selectors and the agent name it.
  std::string relative_path() const { return path_.substr(mount_.size()); }
  uint64_t id() const { return id_; }

  // A child cgroup below this one (removed with it); its id.
  Result<uint64_t> create_child(const std::string& name);

  // Forks a child that moves itself into this cgroup (or `child`, a name given to
  // create_child) and then runs fn; fn's return value is the child's exit code. Returns its pid.
  pid_t fork_into(const std::function<int()>& fn, const std::string& child = "") const;

  // Waits for pid; its wait status.
  static int wait(pid_t pid);

 private:
  TestCgroup(std::string mount, std::string path, uint64_t id)
      : mount_(std::move(mount)), path_(std::move(path)), id_(id) {}
  std::string mount_;
  std::string path_;
  uint64_t id_;
  std::vector<std::string> children_;
};

}  // namespace ztai::testing
