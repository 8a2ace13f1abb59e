// Quarantine end to end with the real ztai binary, in cgroups the test creates (the agent
// attaches at the test's cgroup, never the root; traffic stays on loopback):
//  - `ztai quarantine <cgroup path>` cuts the workload's open connection and denies the next one,
//    both audited with the caller named; `ztai release` restores it;
//  - a rule with `actions: [quarantine]` quarantines the workload of its event the same way;
//  - a policy's ingress rules deny a connect from a workload it does not name, with an alert
//    naming the receiving policy and rule.
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "tests/e2e/support/agent_process.h"
#include "tests/e2e/support/rule_scenario.h"
#include "tests/support/held_listener.h"
#include "tests/support/kernel_test.h"
#include "tests/support/loopback.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;
using testing::TestCgroup;

// Exit codes of a workload child that holds a connection until it is cut.
constexpr int kCutThenDenied = 0, kConnectFailed = 10, kNotCut = 11, kReconnectNotDenied = 12;

// Connects to port, calls after_connect, waits for the connection to be aborted, then checks
// that a new connect is refused.
int hold_until_cut(uint16_t port, int ready_fd, const std::function<void()>& after_connect) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = testing::socket_address(AF_INET, "127.0.0.1", port, len);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return kConnectFailed;
  if (write(ready_fd, "c", 1) != 1) return kConnectFailed;
  after_connect();
  pollfd p{fd, POLLIN, 0};
  char c;
  if (poll(&p, 1, 20000) != 1 || recv(fd, &c, 1, 0) != -1 || errno != ECONNABORTED) return kNotCut;
  close(fd);
  return testing::reach(AF_INET, SOCK_STREAM, "127.0.0.1", port) == EPERM ? kCutThenDenied : kReconnectNotDenied;
}

// The first line of `ztai ARGS`' stdout and its exit status.
std::pair<int, std::string> ztai(const std::string& args) {
  FILE* p = popen((std::string(ZTAI_BINARY) + " " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The first alert of each named rule, reading the agent's output for up to 5 s; order-free, since
// the audit record and the kernel's denial of the reconnect race each other.
std::map<std::string, nlohmann::json> alerts(AgentProcess& agent, std::set<std::string> names) {
  std::map<std::string, nlohmann::json> out;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (out.size() < names.size()) {
    auto line = agent.next_line(deadline);
    if (!line) break;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_discarded() || !j.contains("rule")) continue;
    std::string rule = j["rule"];
    if (names.count(rule) && !out.count(rule)) out[rule] = j;
  }
  return out;
}

class QuarantineRun : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    auto cg = TestCgroup::create("qrun");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    for (const char* c : {"w", "srv", "gw"}) ASSERT_TRUE(cgroup_->create_child(c));
    relative_ = cgroup_->relative_path();
    dir_ = files_.dir();
    socket_ = dir_ + "/control.sock";
    std::ofstream(dir_ + "/policy.yaml") << fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: api }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/srv\" }}\n  ingress:\n    default: deny\n"
        "    allow: [ {{ name: from-gateway, from: {{ workload: gateway }} }} ]\n"
        "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: gateway }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/gw\" }}\n",
        relative_);
    std::ofstream(dir_ + "/ztai.yaml") << fmt::format(
        "lock_file: \"\"\napi: {{ listen: \"127.0.0.1:0\", control_socket: \"{}\" }}\n"
        "enforcement: {{ policies: [\"{}/policy.yaml\"], root_cgroup: \"{}\" }}\n",
        socket_, dir_, cgroup_->path());
  }

  std::string config() const { return dir_ + "/ztai.yaml"; }

  // Starts a workload in cgroup w holding a connection to the listener; returns its pid once it
  // is connected.
  pid_t start_holder(const testing::LoopbackListener& server, const std::function<void()>& after_connect) {
    int ready[2];
    EXPECT_EQ(pipe(ready), 0);
    pid_t pid = cgroup_->fork_into(
        [&] {
          close(ready[0]);
          return hold_until_cut(server.port, ready[1], after_connect);
        },
        "w");
    close(ready[1]);
    char c = 0;
    EXPECT_EQ(read(ready[0], &c, 1), 1) << "the workload could not connect";
    close(ready[0]);
    return pid;
  }

  int reach_from(const std::string& child, uint16_t port) {
    pid_t pid = cgroup_->fork_into([&] { return testing::reach(AF_INET, SOCK_STREAM, "127.0.0.1", port); }, child);
    int status = TestCgroup::wait(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  testing::RuleFile files_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::string relative_, dir_, socket_;
};

TEST_F(QuarantineRun, TheCommandCutsAndDeniesAndReleaseRestoresAllAudited) {
  files_.write("[]\n");
  AgentProcess agent({"run", "--config", config(), "--rules", files_.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status() : make_error(ErrorCode::kKernel, "agent: {}", agent.stderr_text()));
  testing::LoopbackListener server(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_NE(server.port, 0);
  pid_t holder = start_holder(server, [] {});
  int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);

  std::string workload = relative_ + "/w";
  auto [rc, out] = ztai("quarantine --socket " + socket_ + " " + workload);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("1 connections cut"), std::string::npos) << out;
  char c;
  pollfd p{peer, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  ssize_t n = recv(peer, &c, 1, 0);
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "the peer still has the connection";
  close(peer);
  int status = TestCgroup::wait(holder);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, kCutThenDenied) << "11: not cut, 12: reconnect not denied";

  auto seen = alerts(agent, {"Workload quarantined", "Network policy denial"});
  ASSERT_TRUE(seen.count("Workload quarantined")) << agent.stderr_text();
  nlohmann::json audit = seen["Workload quarantined"];
  EXPECT_EQ(audit["output_fields"]["ztai.workload"], workload);
  EXPECT_NE(audit["output_fields"]["ztai.requested_by"].get<std::string>().find("uid=0 "), std::string::npos);
  EXPECT_EQ(audit["output_fields"]["ztai.connections_cut"], 1);
  ASSERT_TRUE(seen.count("Network policy denial")) << "the denied reconnect raises an alert";
  EXPECT_EQ(seen["Network policy denial"]["output_fields"]["policy.rule"], "quarantine");

  auto [lrc, list] = ztai("quarantine --list --socket " + socket_);
  EXPECT_EQ(lrc, 0);
  EXPECT_NE(list.find(workload), std::string::npos) << list;

  auto [rrc, rout] = ztai("release --socket " + socket_ + " " + workload);
  EXPECT_EQ(rrc, 0) << rout;
  EXPECT_FALSE(testing::alert_for(agent, "Workload released", 0).is_null());
  EXPECT_EQ(reach_from("w", server.port), 0);

  auto [brc, bout] = ztai("release --socket " + socket_ + " " + workload);
  EXPECT_EQ(brc, 1) << "releasing twice is an error";
  EXPECT_NE(bout.find("not quarantined"), std::string::npos) << bout;
  EXPECT_FALSE(testing::alert_for(agent, "Workload release failed", 0).is_null()) << "a refused request is audited too";
}

TEST_F(QuarantineRun, ARuleWithTheQuarantineActionQuarantinesTheEventsWorkload) {
  files_.write(testing::rule("Quarantine trigger", "evt.type in (open, openat) and fd.name endswith .ztai-qtrigger",
                             "  actions: [quarantine]\n"));
  AgentProcess agent({"run", "--config", config(), "--rules", files_.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status() : make_error(ErrorCode::kKernel, "agent: {}", agent.stderr_text()));
  testing::LoopbackListener server(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_NE(server.port, 0);
  // Only the workload touches the trigger: the rule would otherwise fire on this test process
  // too (and be refused, as its cgroup is the root).
  std::string trigger = dir_ + "/x.ztai-qtrigger";
  pid_t holder = start_holder(server, [&] { std::ofstream(trigger) << "x"; });
  int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);
  int status = TestCgroup::wait(holder);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, kCutThenDenied)
      << "11: not cut, 12: reconnect not denied\n" << agent.stderr_text();
  close(peer);

  auto seen = alerts(agent, {"Quarantine trigger", "Workload quarantined"});
  ASSERT_TRUE(seen.count("Quarantine trigger")) << agent.stderr_text();
  nlohmann::json alert = seen["Quarantine trigger"];
  EXPECT_EQ(alert["output_fields"]["ztai.action"], "quarantine");
  EXPECT_EQ(alert["output_fields"]["ztai.action_result"], "quarantined " + relative_ + "/w");
  ASSERT_TRUE(seen.count("Workload quarantined"));
  nlohmann::json audit = seen["Workload quarantined"];
  EXPECT_NE(audit["output_fields"]["ztai.requested_by"].get<std::string>().find("rule 'Quarantine trigger'"),
            std::string::npos);
  auto [rc, out] = ztai("release --socket " + socket_ + " " + relative_ + "/w");
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(QuarantineRun, IngressRulesDenyAWorkloadThePolicyDoesNotName) {
  files_.write("[]\n");
  AgentProcess agent({"run", "--config", config(), "--rules", files_.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status() : make_error(ErrorCode::kKernel, "agent: {}", agent.stderr_text()));
  testing::HeldListener server(*cgroup_, "srv");
  uint16_t port = server.port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(reach_from("gw", port), 0);
  EXPECT_EQ(reach_from("w", port), EPERM);
  nlohmann::json denial = testing::alert_for(agent, "Network policy denial", 0);
  EXPECT_EQ(server.release(), 0);
  ASSERT_FALSE(denial.is_null()) << agent.stderr_text();
  EXPECT_EQ(denial["output_fields"]["policy.name"], "api");
  EXPECT_EQ(denial["output_fields"]["policy.rule"], "ingress.default");
}

}  // namespace
}  // namespace ztai
