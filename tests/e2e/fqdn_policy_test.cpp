// An fqdn rule with the real agent: `ztai run` with enforcement.fqdn naming a test resolver on
// 127.0.0.2 reports the policy enforced (no fqdn reason) and trusts that resolver; a workload in a
// cgroup the test creates cannot reach 127.0.0.3 until it resolved an allowed name there, and an
// answer for another name allows nothing. Programs attach at the test's cgroup; traffic stays on
// 127.0.0.0/8.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "agent/common/mounts.h"
#include "tests/e2e/support/agent_process.h"
#include "tests/support/kernel_test.h"
#include "tests/support/socket_address.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_resolver.h"

namespace ztai {
namespace {

using testing::AgentProcess;
using testing::TestCgroup;

int tcp_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = testing::socket_address(AF_INET, "127.0.0.3", port, len);
  int err = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 ? errno : 0;
  close(fd);
  return err;
}

TEST(FqdnPolicy, TheAgentEnforcesFqdnRulesWithTheConfiguredResolver) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto cg = TestCgroup::create("fqdn-e2e");
  ASSERT_TRUE(cg) << cg.error().message();
  auto child = (*cg)->create_child("workload");
  ASSERT_TRUE(child) << child.error().message();
  auto mounts = read_mounts();
  ASSERT_TRUE(mounts);
  std::string relative = (*cg)->path().substr(find_mount(*mounts, "cgroup2")->size());
  testing::TestResolver resolver(60);
  ASSERT_TRUE(resolver.ok());
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = testing::socket_address(AF_INET, "127.0.0.3", 0, len);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&ss), len), 0);
  ASSERT_EQ(listen(listener, 16), 0);
  getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len);
  uint16_t port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);

  char tmpl[] = "/tmp/ztai-fqdn-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::filesystem::create_directory(dir + "/rules");
  std::ofstream(dir + "/policy.yaml") << fmt::format(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: fqdn-e2e }}\n"
      "spec:\n  selector: {{ cgroup: \"{}/workload\" }}\n  egress:\n    default: deny\n    allow:\n"
      "      - {{ name: resolver, cidr: 127.0.0.2/32, ports: [{}], protocol: udp }}\n"
      "      - {{ name: models, fqdn: \"*.models.test\", ports: [{}], protocol: tcp }}\n",
      relative, resolver.port(), port);
  std::ofstream(dir + "/ztai.yaml") << fmt::format(
      "lock_file: {0}/ztai.lock\napi: {{ listen: \"\", control_socket: {0}/control.sock }}\nrules: {{ paths: [{0}/rules] }}\n"
      "capture: {{ tls: false, go_tls: false }}\n"
      "enforcement:\n  policies: [{0}/policy.yaml]\n  root_cgroup: {1}\n"
      "  fqdn: {{ min_ttl_seconds: 1, grace_seconds: 0, resolvers: [\"127.0.0.2:{2}\"] }}\n",
      dir, (*cg)->path(), resolver.port());

  {
    AgentProcess agent({"run", "--config", dir + "/ztai.yaml"});
    ASSERT_TRUE(agent.ready()) << agent.stderr_text();
    const std::string& log = agent.stderr_text();
    EXPECT_NE(log.find(fmt::format("fqdn rules: answers count from 127.0.0.2:{}", resolver.port())),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("policy fqdn-e2e"), std::string::npos) << log;
    EXPECT_EQ(log.find("fqdn rules are not enforced"), std::string::npos) << log;

    auto in_workload = [&](const std::function<int()>& fn) {
      int status = TestCgroup::wait((*cg)->fork_into(fn, "workload"));
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    EXPECT_EQ(in_workload([&] { return tcp_connect(port); }), EPERM) << "nothing resolved yet";
    EXPECT_EQ(in_workload([&] {
                if (int r = testing::resolve_from("hub.other.test", resolver.port())) return r;
                return tcp_connect(port);
              }),
              EPERM)
        << "a name no rule matches";
    EXPECT_EQ(in_workload([&] {
                if (int r = testing::resolve_from("hub.models.test", resolver.port())) return r;
                return tcp_connect(port);
              }),
              0)
        << "right after the answer for an allowed name";
    EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
  }
  EXPECT_EQ(tcp_connect(port), 0) << "the test process itself is never governed";
  close(listener);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace ztai
