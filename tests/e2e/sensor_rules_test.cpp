// The file and network sensors through the running agent, as a user meets them: a rule on
// `fd.name endswith .gguf` alerts with the full path when a shell cds into a folder and cats a
// model file, and a rule on net.dport alerts for a real connect.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/support/agent_process.h"
#include "tests/e2e/support/rule_scenario.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using testing::AgentProcess;
using testing::alert_for;
using testing::rule;
using testing::RuleFile;
using testing::run_shell;

TEST(SensorRules, ModelFileReadThroughARelativePathAlertsWithTheFullPath) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  RuleFile rules;
  rules.write(rule("Weights read", "evt.type in (open, openat, openat2) and fd.name endswith .gguf"));
  std::filesystem::path models = std::filesystem::path(rules.dir()) / "models";
  std::filesystem::create_directories(models);
  std::ofstream(models / "model.gguf") << "GGUF";

  AgentProcess agent({"run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--rules", rules.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status() : make_error(ErrorCode::kKernel, "agent: {}", agent.stderr_text()));
  pid_t shell = run_shell("cd " + models.string() + " && cat model.gguf > /dev/null");

  nlohmann::json alert = alert_for(agent, "Weights read", shell);
  ASSERT_FALSE(alert.is_null()) << "no alert for cat model.gguf\n" << agent.stderr_text();
  std::string full = (models / "model.gguf").string();
  EXPECT_EQ(alert["output_fields"]["fd.name"], full);
  EXPECT_EQ(alert["output_fields"]["proc.cmdline"], "cat model.gguf");
  EXPECT_EQ(alert["output_fields"]["evt.type"], "openat");
  EXPECT_EQ(alert["priority"], "Notice");
}

TEST(SensorRules, ARuleOnTheDestinationPortFiresForARealConnect) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  unsigned port = ntohs(addr.sin_port);

  RuleFile rules;
  rules.write(rule("Port connect", "evt.type = connect and net.dport = " + std::to_string(port)));
  AgentProcess agent({"run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--rules", rules.path()});
  ZTAI_KERNEL_PREREQ(agent.ready() ? Status() : make_error(ErrorCode::kKernel, "agent: {}", agent.stderr_text()));
  // bash connects itself through /dev/tcp: the connecting process is the shell.
  pid_t shell = run_shell("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port));
  close(listener);

  nlohmann::json alert = alert_for(agent, "Port connect", 0);
  ASSERT_FALSE(alert.is_null()) << "no alert for the connect\n" << agent.stderr_text();
  EXPECT_EQ(alert["output_fields"]["net.dport"], port);
  EXPECT_EQ(alert["output_fields"]["proc.ppid"], static_cast<unsigned>(getpid())) << "the shell itself connected";
  EXPECT_NE(alert["output"].get<std::string>().find("cmdline=bash -c exec 3<>/dev/tcp/127.0.0.1/"), std::string::npos)
      << alert["output"] << " (shell " << shell << ")";
}

}  // namespace
}  // namespace ztai
