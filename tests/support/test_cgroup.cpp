#include "tests/support/test_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent/common/mounts.h"

namespace ztai::testing {
namespace {

Result<uint64_t> dir_inode(const std::string& path) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) return make_error(ErrorCode::kIo, "stat {}: {}", path, strerror(errno));
  return static_cast<uint64_t>(sb.st_ino);
}

// A cgroup keeps its directory busy until its last task is gone. Only the test's own children
// can be in it: a failed test may leave one running (a loop it never stopped), which cgroup.kill
// ends so the directory goes; then retry while they are reaped.
void remove_dir(const std::string& path) {
  if (int fd = open((path + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    ssize_t n = write(fd, "1", 1);  // refused before 5.14: then the retries are all there is
    (void)n;
    close(fd);
  }
  for (int i = 0; i < 250; ++i) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Result<std::unique_ptr<TestCgroup>> TestCgroup::create(const std::string& tag) {
  auto mounts = read_mounts();
  if (!mounts) return mounts.error();
  auto root = find_mount(*mounts, "cgroup2");
  if (!root) return make_error(ErrorCode::kNotFound, "no cgroup2 mount in /proc/mounts");
  std::string path = *root + "/ztai-test-" + tag + "-" + std::to_string(getpid());
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "creating test cgroup {}: {}", path, strerror(errno));
  }
  auto id = dir_inode(path);
  if (!id) {
    remove_dir(path);
    return id.error();
  }
  return std::unique_ptr<TestCgroup>(new TestCgroup(*root, path, *id));
}

TestCgroup::~TestCgroup() {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) remove_dir(path_ + "/" + *it);
  remove_dir(path_);
}

Result<uint64_t> TestCgroup::create_child(const std::string& name) {
  std::string path = path_ + "/" + name;
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "creating test cgroup {}: {}", path, strerror(errno));
  }
  children_.push_back(name);
  return dir_inode(path);
}

pid_t TestCgroup::fork_into(const std::function<int()>& fn, const std::string& child) const {
  std::string procs = (child.empty() ? path_ : path_ + "/" + child) + "/cgroup.procs";
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) _exit(120);
  close(fd);
  _exit(fn());
}

int TestCgroup::wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace ztai::testing
