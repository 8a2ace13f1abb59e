// Kill through a pidfd, only for the process the event named. Acts only on children this test
// starts, and reaps them whatever happens.
#include "agent/rules/responder.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/rules/rule_test_support.h"

namespace ztai::rules {
namespace {

class Child {
 public:
  Child() {
    pid_ = fork();
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  ProcKey key() const {
    auto start = Procfs("/proc").start_ticks(static_cast<uint32_t>(pid_));
    EXPECT_TRUE(start) << start.error().message();
    return ProcKey{static_cast<uint32_t>(pid_), start ? *start : 0};
  }
  bool alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }
  int wait_signal() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

TEST(Responder, KillsTheProcessOfTheEvent) {
  MetricsRegistry metrics;
  Responder responder(Procfs("/proc"), static_cast<uint32_t>(getpid()), metrics);
  Child child;
  ASSERT_GT(child.pid(), 0);
  ActionOutcome out = responder.kill(child.key());
  EXPECT_TRUE(out.done) << out.detail;
  EXPECT_EQ(out.detail, "killed");
  EXPECT_EQ(child.wait_signal(), SIGKILL);
  EXPECT_EQ(metrics.value("ztai_actions_total", {{"action", "kill"}, {"result", "done"}}), 1);
}

TEST(Responder, NeverHitsAProcessThatMerelyHasThePid) {
  MetricsRegistry metrics;
  Responder responder(Procfs("/proc"), static_cast<uint32_t>(getpid()), metrics);
  Child child;
  ProcKey stale = child.key();
  stale.start_ticks += 1;  // the event's process started at another time: the pid was reused
  ActionOutcome out = responder.kill(stale);
  EXPECT_FALSE(out.done);
  EXPECT_EQ(out.detail, "refused: the pid now belongs to another process");
  EXPECT_TRUE(child.alive());
}

TEST(Responder, RefusesExitedProcessesInitAndItself) {
  MetricsRegistry metrics;
  Responder responder(Procfs("/proc"), static_cast<uint32_t>(getpid()), metrics);
  ProcKey gone;
  {
    Child child;
    gone = child.key();
    ::kill(child.pid(), SIGKILL);
    child.wait_signal();
  }
  EXPECT_EQ(responder.kill(gone).detail, "refused: the process has already exited");
  EXPECT_EQ(responder.kill({1, 1}).detail, "refused: pid 1 is never killed");
  EXPECT_FALSE(responder.kill({static_cast<uint32_t>(getpid()), 1}).done);
  EXPECT_EQ(metrics.value("ztai_actions_total", {{"action", "kill"}, {"result", "refused"}}), 3);
}

TEST(RuleActions, KillAndQuarantineAreTheActions) {
  auto ok = testing::compile_text(
      "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  actions: [kill, quarantine]\n");
  ASSERT_TRUE(ok.rules) << testing::all_text(ok.diags);
  EXPECT_EQ(ok.rules->rules()[0].actions, (std::vector<Action>{Action::kKill, Action::kQuarantine}));
  auto bad = testing::compile_text(
      "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  actions: [explode]\n");
  EXPECT_FALSE(bad.rules);
  EXPECT_NE(testing::all_text(bad.diags).find("rules.yaml:6:12: rule r: unknown action 'explode' (known: kill, quarantine)"),
            std::string::npos)
      << testing::all_text(bad.diags);
}

}  // namespace
}  // namespace ztai::rules
