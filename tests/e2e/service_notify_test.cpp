// The real binary under a service manager's notify socket: READY=1 only once it is running,
// WATCHDOG=1 from its loop, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM;
// a start-up error ends up in STATUS=. Every notification comes from the agent's own pid
// (NotifyAccess=main).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/e2e/support/agent_process.h"
#include "tests/support/kernel_test.h"
#include "tests/support/notify_listener.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;
using testing::NotifyListener;

class ServiceNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ztai-notify-rules-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    ASSERT_FALSE(manager_.path().empty());
    setenv("NOTIFY_SOCKET", manager_.path().c_str(), 1);
    setenv("WATCHDOG_USEC", "2000000", 1);
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    std::filesystem::remove_all(dir_);
  }
  void write_rules(const std::string& text) { std::ofstream(dir_ + "/rules.yaml") << text; }

  std::string dir_;
  NotifyListener manager_;
};

const char* kRule = R"(- rule: shell in a model server
  desc: a shell started
  condition: evt.type = execve and proc.name = bash
  output: shell %proc.cmdline
  priority: WARNING
)";

TEST_F(ServiceNotify, ReadyWatchdogReloadAndStopReachTheManager) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  write_rules(kRule);
  AgentProcess agent({"run", "--rules", dir_, "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml"});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status()
                                   : make_error(ErrorCode::kKernel, "agent did not start: {}", agent.stderr_text()));

  auto ready = manager_.wait_for("READY=1", 5s);
  ASSERT_TRUE(ready) << agent.stderr_text();
  EXPECT_EQ(ready->sender, agent.pid());
  EXPECT_NE(ready->value("STATUS").find("programs attached, 1 rules"), std::string::npos) << ready->text;

  auto ping = manager_.wait_for("WATCHDOG=1", 3s);
  ASSERT_TRUE(ping) << "a ping at least once a second from the reader loop";
  EXPECT_EQ(ping->sender, agent.pid());

  write_rules(std::string(kRule) + R"(- rule: second
  desc: another
  condition: evt.type = execve and proc.name = zsh
  output: zsh
  priority: NOTICE
)");
  kill(agent.pid(), SIGHUP);
  auto reloading = manager_.wait_for("RELOADING=1", 5s);
  ASSERT_TRUE(reloading);
  EXPECT_FALSE(reloading->value("MONOTONIC_USEC").empty());
  auto reloaded = manager_.wait_for("READY=1", 10s);
  ASSERT_TRUE(reloaded);
  EXPECT_NE(reloaded->value("STATUS").find("2 rules loaded"), std::string::npos) << reloaded->text;
  EXPECT_EQ(reloaded->sender, agent.pid()) << "sent from the reloader's thread, with the process's pid";

  // A broken file: the manager is told the agent is ready again, on its old rules.
  write_rules("- rule: broken\n  condition: evt.type = \n");
  kill(agent.pid(), SIGHUP);
  ASSERT_TRUE(manager_.wait_for("RELOADING=1", 5s));
  auto kept = manager_.wait_for("READY=1", 10s);
  ASSERT_TRUE(kept);
  EXPECT_NE(kept->value("STATUS").find("the running rules stay"), std::string::npos) << kept->text;

  pid_t pid = agent.pid();
  int status = agent.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << agent.stderr_text();
  auto stopping = manager_.wait_for("STOPPING=1", 1s);
  ASSERT_TRUE(stopping);
  EXPECT_EQ(stopping->sender, pid);
}

TEST_F(ServiceNotify, AStartUpErrorIsTheLastStatusAndReadyIsNeverSent) {
  write_rules("- rule: broken\n  condition: evt.type = \n");
  AgentProcess agent({"run", "--rules", dir_, "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml"}, 10s);
  EXPECT_FALSE(agent.ready());
  auto n = manager_.next(5s);
  ASSERT_TRUE(n) << "the failure is told";
  EXPECT_FALSE(n->has("READY=1"));
  EXPECT_NE(n->value("STATUS").find("start-up failed: the rules have 1 errors"), std::string::npos) << n->text;
  EXPECT_NE(n->value("STATUS").find("rules.yaml:"), std::string::npos) << "names the place: " << n->text;
  EXPECT_FALSE(manager_.next(200ms)) << "nothing after the failure";
}

TEST_F(ServiceNotify, AConfigErrorIsTheStatusToo) {
  std::string config = dir_ + "/ztai.yaml";
  std::ofstream(config) << "log_level: loud\n";
  AgentProcess agent({"run", "--config", config}, 10s);
  EXPECT_FALSE(agent.ready());
  auto n = manager_.next(5s);
  ASSERT_TRUE(n) << agent.stderr_text();
  EXPECT_NE(n->value("STATUS").find("start-up failed: " + config + ":1:12: log_level"), std::string::npos) << n->text;
}

}  // namespace
}  // namespace ztai
