// Rules in the running agent: a rule on `evt.type = execve and proc.name = echo` alerts for an
// echo run from a shell, with the rendered output and output_fields; SIGHUP swaps in a new rule
// set and a broken one is rejected; a kill action stops the matched process (one this test starts).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/support/agent_process.h"
#include "tests/e2e/support/rule_scenario.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;

using testing::alert_for;
using testing::rule;
using testing::RuleFile;
using testing::run_shell;

TEST(RulesRun, EchoRuleAlertsThenReloadsAndRejectsABrokenSet) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  RuleFile rules;
  rules.write(rule("Echo run", "evt.type = execve and proc.name = echo"));
  AgentProcess agent({"run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--rules", rules.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status()
                                   : make_error(ErrorCode::kKernel, "agent did not start: {}", agent.stderr_text()));

  pid_t shell = run_shell("/bin/echo hello >/dev/null; true");
  nlohmann::json a = alert_for(agent, "Echo run", shell);
  ASSERT_FALSE(a.is_null()) << "no alert for /bin/echo\n" << agent.stderr_text();
  EXPECT_EQ(a["priority"], "Notice");
  EXPECT_EQ(a["source"], "syscall");
  EXPECT_EQ(a["tags"], nlohmann::json::array({"e2e"}));
  EXPECT_EQ(a["output"], "Echo run (cmdline=echo hello parent=bash ppid=" + std::to_string(shell) + ")");
  const auto& f = a["output_fields"];
  EXPECT_EQ(f["proc.cmdline"], "echo hello");
  EXPECT_EQ(f["proc.pname"], "bash");
  EXPECT_EQ(f["evt.type"], "execve");
  EXPECT_EQ(f["proc.name"], "echo");

  // A broken rule file is rejected on SIGHUP and the running rules stay.
  rules.write(rule("Broken", "proc.nmae = echo"));
  ASSERT_EQ(kill(agent.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(500ms);
  shell = run_shell("/bin/echo again >/dev/null; true");
  EXPECT_FALSE(alert_for(agent, "Echo run", shell).is_null()) << agent.stderr_text();

  // A good one replaces them.
  rules.write(rule("Printf run", "evt.type = execve and proc.name = printf"));
  ASSERT_EQ(kill(agent.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(500ms);
  shell = run_shell("/bin/echo gone >/dev/null; /usr/bin/printf x >/dev/null; true");
  nlohmann::json p = alert_for(agent, "Printf run", shell);
  EXPECT_FALSE(p.is_null()) << agent.stderr_text();

  int status = agent.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << agent.stderr_text();
  EXPECT_NE(agent.stderr_text().find("rules.yaml:3:14: rule Broken: unknown field proc.nmae"), std::string::npos)
      << agent.stderr_text();
  EXPECT_EQ(agent.stderr_text().find("Echo run"), std::string::npos);
}

TEST(RulesRun, KillActionStopsTheMatchedProcess) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  RuleFile rules;
  // A marker argument, so only the sleep this test starts can match.
  rules.write(rule("Kill marked sleep", "evt.type = execve and proc.name = sleep and proc.args = 41.25",
                   "  actions: [kill]\n"));
  AgentProcess agent({"run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--rules", rules.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status()
                                   : make_error(ErrorCode::kKernel, "agent did not start: {}", agent.stderr_text()));
  pid_t child = fork();
  if (child == 0) {
    execl("/bin/sleep", "sleep", "41.25", nullptr);
    _exit(127);
  }
  int st = 0;
  pid_t done = 0;
  for (auto until = std::chrono::steady_clock::now() + 5s; done == 0 && std::chrono::steady_clock::now() < until;) {
    done = waitpid(child, &st, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(10ms);
  }
  if (done == 0) {
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
    FAIL() << "the agent did not kill the sleep\n" << agent.stderr_text();
  }
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  nlohmann::json a = alert_for(agent, "Kill marked sleep", 0);
  ASSERT_FALSE(a.is_null()) << agent.stderr_text();
  EXPECT_EQ(a["output_fields"]["ztai.action"], "kill");
  EXPECT_EQ(a["output_fields"]["ztai.action_result"], "killed");
  EXPECT_EQ(a["output_fields"]["proc.cmdline"], "sleep 41.25");
  agent.stop();
}

}  // namespace
}  // namespace ztai
