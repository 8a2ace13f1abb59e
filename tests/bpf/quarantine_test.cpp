// Quarantine in the kernel, in a cgroup the test creates and attaches to (never the root): a
// workload's established loopback TCP connection is aborted (the peer sees a reset or EOF, the
// workload's socket an error), its next connect fails with EPERM, a policy reload keeps it in
// quarantine, and release lets it connect again.
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "agent/enforce/quarantine.h"
#include "tests/bpf/support/enforced_cgroup_test.h"
#include "tests/support/loopback.h"

namespace ztai {
namespace {

using testing::TestCgroup;

// Exit codes of the workload child.
constexpr int kConnected = 0, kConnectFailed = 10, kNotCut = 11, kReconnectNotDenied = 12;

class QuarantineTest : public testing::EnforcedCgroupTest {
 protected:
  void SetUp() override {
    attach_to_test_cgroup("quarantine", {"quarantine_cut"});
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(cgroup_->create_child("w"));
    quarantine_.emplace(enforce::EgressMaps(map_fds_), collector_->programs().program_fd("quarantine_cut"), mount_,
                        nullptr);
    workload_ = selector_path() + "/w";
  }

  void TearDown() override {
    if (quarantine_ && !quarantine_->list().empty()) {
      auto ref = enforce::parse_workload_ref(workload_);
      if (ref) (void)quarantine_->release(*ref);
    }
    EnforcedCgroupTest::TearDown();
  }

  int connect_from_workload(uint16_t port) {
    return exit_code_in_cgroup([&] { return testing::reach(AF_INET, SOCK_STREAM, "127.0.0.1", port); }, "w");
  }

  std::optional<enforce::Quarantine> quarantine_;
  std::string workload_;
};

TEST_F(QuarantineTest, CutsTheOpenConnectionDeniesTheNextAndReleaseRestores) {
  testing::LoopbackListener server(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_NE(server.port, 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  // The workload: connects, says so, waits on the connection, then tries a new one.
  pid_t workload = cgroup_->fork_into(
      [&] {
        close(ready[0]);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        socklen_t len = 0;
        sockaddr_storage ss = testing::socket_address(AF_INET, "127.0.0.1", server.port, len);
        if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return kConnectFailed;
        if (write(ready[1], "c", 1) != 1) return kConnectFailed;
        char c;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 20000) != 1) return kNotCut;
        ssize_t n = recv(fd, &c, 1, 0);
        if (n != -1 || errno != ECONNABORTED) return kNotCut;
        close(fd);
        return testing::reach(AF_INET, SOCK_STREAM, "127.0.0.1", server.port) == EPERM ? kConnected
                                                                                       : kReconnectNotDenied;
      },
      "w");
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the workload could not connect";
  close(ready[0]);
  int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);

  auto ref = enforce::parse_workload_ref(workload_);
  ASSERT_TRUE(ref) << ref.error().message();
  auto outcome = quarantine_->quarantine(*ref);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->changed);
  EXPECT_EQ(outcome->connections_cut, 1u) << outcome->cut_error;
  EXPECT_EQ(outcome->cgroups, std::vector<std::string>{workload_});

  // The peer sees the connection end: a reset (or EOF).
  pollfd p{peer, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  ssize_t n = recv(peer, &c, 1, 0);
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "recv returned " << n << " errno " << errno;
  close(peer);
  int status = TestCgroup::wait(workload);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kConnected) << "10: connect failed, 11: not cut, 12: the next connect went through";

  // A policy reload keeps the quarantine.
  ASSERT_TRUE(enforcer_->apply({}, {}, {}));
  EXPECT_EQ(connect_from_workload(server.port), EPERM);

  auto again = quarantine_->quarantine(*ref);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  auto released = quarantine_->release(*ref);
  ASSERT_TRUE(released) << released.error().message();
  EXPECT_EQ(connect_from_workload(server.port), 0);
  EXPECT_FALSE(quarantine_->release(*ref)) << "releasing what is not quarantined is an error";
}

}  // namespace
}  // namespace ztai
