// Segmentation between network namespaces with the real agent: `ztai run --policy` with a policy
// whose ingress lets only the gateway workload in. The server listens (wildcard bind) in a network
// namespace of its own, the callers sit in another, linked by a veth pair: the agent reads the
// server's namespace when its bind is noted and refuses the other workload's connect to the pod
// address, with an alert naming the receiving policy. Programs attach at the test's cgroup;
// traffic stays inside the test's namespaces.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/common/mounts.h"
#include "tests/e2e/support/agent_process.h"
#include "tests/support/kernel_test.h"
#include "tests/support/loopback.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_netns.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;
using testing::TestCgroup;
using testing::TestNetns;

TEST(SegmentPolicy, TheAgentChecksCallersInAnotherNetworkNamespace) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto cg = TestCgroup::create("segment-e2e");
  ASSERT_TRUE(cg) << cg.error().message();
  for (const char* child : {"srv", "gateway", "other"}) ASSERT_TRUE((*cg)->create_child(child));
  auto mounts = read_mounts();
  ASSERT_TRUE(mounts);
  std::string relative = (*cg)->path().substr(find_mount(*mounts, "cgroup2")->size());
  auto callers = TestNetns::create();
  ASSERT_TRUE(callers) << callers.error().message();
  auto pod = TestNetns::create();
  ASSERT_TRUE(pod) << pod.error().message();
  ASSERT_TRUE(testing::link_namespaces(**callers, "198.18.10.1/24", "fd7a:7a76::1/64", **pod, "198.18.10.2/24",
                                       "fd7a:7a76::2/64"));

  char tmpl[] = "/tmp/ztai-segment-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::filesystem::create_directory(dir + "/rules");
  std::ofstream(dir + "/policy.yaml") << fmt::format(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: api }}\n"
      "spec:\n  selector: {{ cgroup: \"{0}/srv\" }}\n  ingress:\n    default: deny\n"
      "    allow: [ {{ name: from-gateway, from: {{ workload: gateway }} }} ]\n"
      "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: gateway }}\n"
      "spec:\n  selector: {{ cgroup: \"{0}/gateway\" }}\n"
      "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: other }}\n"
      "spec:\n  selector: {{ cgroup: \"{0}/other\" }}\n",
      relative);
  std::ofstream(dir + "/ztai.yaml") << fmt::format(
      "lock_file: {0}/ztai.lock\napi: {{ listen: \"\", control_socket: {0}/control.sock }}\n"
      "rules: {{ paths: [{0}/rules] }}\ncapture: {{ tls: false, go_tls: false }}\n"
      "enforcement:\n  policies: [{0}/policy.yaml]\n  root_cgroup: {1}\n",
      dir, (*cg)->path());

  {
    AgentProcess agent({"run", "--config", dir + "/ztai.yaml"});
    ASSERT_TRUE(agent.ready()) << agent.stderr_text();
    const std::string& log = agent.stderr_text();
    EXPECT_EQ(log.find("only for callers in the receiver's network namespace"), std::string::npos) << log;

    // The server: a wildcard listener in the pod's namespace, held until the pipe closes.
    int ports[2], hold[2];
    ASSERT_EQ(pipe(ports), 0);
    ASSERT_EQ(pipe(hold), 0);
    pid_t server = (*cg)->fork_into(
        [&] {
          close(ports[0]);
          close(hold[1]);
          if (!(*pod)->enter()) return 1;
          testing::LoopbackListener l(AF_INET, SOCK_STREAM, "0.0.0.0");
          if (write(ports[1], &l.port, sizeof(l.port)) != sizeof(l.port)) return 1;
          char c;
          return read(hold[0], &c, 1) >= 0 ? 0 : 1;
        },
        "srv");
    close(ports[1]);
    close(hold[0]);
    uint16_t port = 0;
    ASSERT_EQ(read(ports[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
    close(ports[0]);
    ASSERT_NE(port, 0);

    auto reach_from = [&](const char* child) {
      int status = TestCgroup::wait((*cg)->fork_into(
          [&] { return (*callers)->enter() ? testing::reach(AF_INET, SOCK_STREAM, "198.18.10.2", port) : -1; },
          child));
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    // The agent reads the pod's namespace within a poll round of the bind; give a loaded machine time.
    int other = 0;
    for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
      if ((other = reach_from("other")) == EPERM) break;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(other, EPERM) << "the other workload reached the pod address";
    EXPECT_EQ(reach_from("gateway"), 0);

    std::optional<nlohmann::json> alert;
    for (auto deadline = std::chrono::steady_clock::now() + 5s; !alert;) {
      auto line = agent.next_line(deadline);
      if (!line) break;
      auto j = nlohmann::json::parse(*line, nullptr, false);
      if (!j.is_discarded() && j.value("rule", "") == "Network policy denial") alert = j;
    }
    ASSERT_TRUE(alert) << "no denial alert";
    std::string output = (*alert)["output"];
    EXPECT_NE(output.find("198.18.10.2"), std::string::npos) << output;
    EXPECT_NE(output.find("policy=api"), std::string::npos) << output;
    EXPECT_NE(output.find("rule=ingress.default"), std::string::npos) << output;

    close(hold[1]);
    EXPECT_EQ(TestCgroup::wait(server), 0);
    EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace ztai
