// The agent as a user runs it: `ztai run --events` sees a command run from a shell, with that
// shell as parent, and stopping it leaves no program attached.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "tests/e2e/support/agent_process.h"
#include "tests/support/bpf_inventory.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;

const std::vector<std::string> kProgramNames = {"process_exec", "process_fork", "process_exit"};

std::set<unsigned> program_ids() {
  std::set<unsigned> ids;
  for (const auto& p : testing::loaded_programs_named(kProgramNames)) ids.insert(p.id);
  return ids;
}

TEST(AgentRun, EventsShowAShellCommandWithItsParentAndStopDetachesEverything) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  std::set<unsigned> before = program_ids();
  AgentProcess agent({"run", "--events", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml"});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status()
                                   : make_error(ErrorCode::kKernel, "agent did not start: {}", agent.stderr_text()));
  std::set<unsigned> mine;
  for (unsigned id : program_ids()) {
    if (!before.count(id)) mine.insert(id);
  }
  EXPECT_EQ(mine.size(), kProgramNames.size()) << "the agent attached its three process programs";

  // `; true` keeps bash from exec'ing echo in place, so echo is a child of the shell.
  pid_t shell = fork();
  if (shell == 0) {
    execl("/bin/bash", "bash", "-c", "/bin/echo hello >/dev/null; true", nullptr);
    _exit(127);
  }
  int st = 0;
  waitpid(shell, &st, 0);
  auto ran = std::chrono::steady_clock::now();

  nlohmann::json exec;
  auto deadline = ran + 1s;  // the promise: shown within one second
  while (auto line = agent.next_line(deadline)) {
    auto j = nlohmann::json::parse(*line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << *line;
    const auto& f = j["output_fields"];
    if (f.value("evt.type", "") == "execve" && f.value("proc.exepath", "") == "/bin/echo" &&
        f.value("proc.ppid", 0u) == static_cast<unsigned>(shell)) {
      exec = j;
      break;
    }
  }
  ASSERT_FALSE(exec.is_null()) << "no exec event for /bin/echo within one second\n" << agent.stderr_text();
  const auto& f = exec["output_fields"];
  EXPECT_EQ(f["proc.argv"], nlohmann::json::array({"/bin/echo", "hello"}));
  EXPECT_EQ(f["proc.pname"], "bash");
  EXPECT_EQ(f["proc.pcmdline"], "bash -c /bin/echo hello >/dev/null; true");
  EXPECT_EQ(f["proc.name"], "echo");
  EXPECT_EQ(f["evt.res"], "SUCCESS");
  EXPECT_FALSE(f["proc.exec_id"].get<std::string>().empty());
  EXPECT_FALSE(f["proc.pexec_id"].get<std::string>().empty());
  EXPECT_EQ(exec["kind"], "event");
  EXPECT_EQ(exec["source"], "syscall");
  auto latency = std::chrono::steady_clock::now() - ran;
  RecordProperty("exec_to_output_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()));

  int status = agent.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << agent.stderr_text();
  // The stop itself is reported before the agent exits, naming who sent it: this test.
  nlohmann::json stopped;
  while (auto line = agent.next_line(std::chrono::steady_clock::now() + 2s)) {
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (!j.is_discarded() && j.value("rule", "") == "Agent self-protection" &&
        j["output_fields"].value("selfguard.command", "") == "SIGTERM") {
      stopped = j;
      break;
    }
  }
  ASSERT_FALSE(stopped.is_null()) << "no self-protection alert for the SIGTERM\n" << agent.stderr_text();
  EXPECT_EQ(stopped["priority"], "Notice");
  EXPECT_EQ(stopped["output_fields"]["proc.pid"], static_cast<unsigned>(getpid()));
  EXPECT_EQ(stopped["output_fields"]["selfguard.action"], "signal");
  // The kernel frees a program after its last link and fd are gone, from deferred work: allow it
  // a moment, then nothing of the agent may remain.
  std::set<unsigned> left = mine;
  for (auto until = std::chrono::steady_clock::now() + 5s; !left.empty() && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(20ms);
    std::set<unsigned> now = program_ids();
    std::erase_if(left, [&](unsigned id) { return !now.count(id); });
  }
  for (unsigned id : left) ADD_FAILURE() << "program " << id << " is still loaded after stop";
}

// The agent's stdout is a pipe whose reader stopped reading (a log shipper that hung): once the
// pipe is full the stdout output blocks in write(). A SIGTERM must still stop the agent, within
// the output's stop_timeout, and what was not written is counted and logged under the output's name.
TEST(AgentRun, StopsWhenNobodyReadsItsStdoutAndReportsWhatWasLost) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  AgentProcess agent({"run", "--events", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml"});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status()
                                   : make_error(ErrorCode::kKernel, "agent did not start: {}", agent.stderr_text()));
  // Each exec is a few events of ~1 KB of JSON: far more than the 64 KiB a pipe holds.
  for (int i = 0; i < 500; ++i) {
    pid_t child = fork();
    if (child == 0) {
      execl("/bin/true", "true", nullptr);
      _exit(127);
    }
    waitpid(child, nullptr, 0);
  }
  std::this_thread::sleep_for(1s);  // lets the agent take them from the rings into its queue
  int status = agent.stop(/*read_stdout=*/false);
  const std::string& log = agent.stderr_text();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << log;
  EXPECT_NE(log.find("output stdout: still delivering"), std::string::npos) << log;
  EXPECT_NE(log.find("records lost"), std::string::npos) << log;
}

TEST(AgentRun, StartUpErrorsAreOneClearSentence) {
  AgentProcess agent({"run", "--config", "/nonexistent/ztai.yaml"}, 5s);
  EXPECT_FALSE(agent.ready());
  EXPECT_NE(agent.stderr_text().find("/nonexistent/ztai.yaml: cannot open the file"), std::string::npos)
      << agent.stderr_text();
}

}  // namespace
}  // namespace ztai
