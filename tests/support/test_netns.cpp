#include "tests/support/test_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

namespace ztai::testing {

Result<std::unique_ptr<TestNetns>> TestNetns::create() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe: {}", strerror(errno));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork: {}", strerror(errno));
  if (pid == 0) {
    close(ready[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char ok = getppid() == parent && unshare(CLONE_NEWNET) == 0 ? 1 : 0;
    if (write(ready[1], &ok, 1) != 1 || !ok) _exit(1);
    close(ready[1]);
    for (;;) pause();
  }
  close(ready[1]);
  char ok = 0;
  ssize_t n = read(ready[0], &ok, 1);
  close(ready[0]);
  int fd = n == 1 && ok ? open(fmt::format("/proc/{}/ns/net", pid).c_str(), O_RDONLY | O_CLOEXEC) : -1;
  std::unique_ptr<TestNetns> ns(new TestNetns(pid, fd));  // the holder goes with it on any failure
  if (fd < 0) return make_error(ErrorCode::kUnsupported, "creating a network namespace failed");
  if (Status st = ns->ip({"link", "set", "lo", "up"}); !st) return st.error();
  return ns;
}

TestNetns::~TestNetns() {
  if (fd_ >= 0) close(fd_);
  drop_holder();
}

void TestNetns::drop_holder() {
  if (holder_ <= 0) return;
  kill(holder_, SIGKILL);
  waitpid(holder_, nullptr, 0);
  holder_ = 0;
}

std::string TestNetns::path() const { return fmt::format("/proc/{}/ns/net", holder_); }

bool TestNetns::enter() const { return setns(fd_, CLONE_NEWNET) == 0; }

Status TestNetns::ip(const std::vector<std::string>& args) const {
  pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork: {}", strerror(errno));
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>("ip")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!enter()) _exit(126);
    execvp("ip", argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(ErrorCode::kIo, "ip {} in {} failed (status {})", fmt::join(args, " "), path(), status);
  }
  return {};
}

Result<LinkedNamespaces> linked_namespaces(const std::string& net4, const std::string& net6) {
  LinkedNamespaces out;
  for (auto* ns : {&out.callers, &out.server}) {
    auto made = TestNetns::create();
    if (!made) return made.error();
    *ns = std::move(*made);
  }
  // Names are per namespace, so fixed ones never clash with the host's or another test's.
  if (Status st = out.callers->ip({"link", "add", "ztai0", "type", "veth", "peer", "name", "ztai1", "netns",
                                   std::to_string(out.server->holder())});
      !st) {
    return st.error();
  }
  for (auto [ns, dev, host] : {std::tuple{out.callers.get(), "ztai0", "1"}, std::tuple{out.server.get(), "ztai1", "2"}}) {
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"addr", "add", fmt::format("{}.{}/24", net4, host), "dev", dev},
          std::vector<std::string>{"-6", "addr", "add", fmt::format("{}::{}/64", net6, host), "dev", dev, "nodad"},
          std::vector<std::string>{"link", "set", dev, "up"}}) {
      if (Status st = ns->ip(cmd); !st) return st.error();
    }
  }
  return out;
}

}  // namespace ztai::testing
