// `ztai demo` end to end: the real binary runs the whole scenario (HTTPS model server stand-in,
// node agent with the openai npm client, the MCP filesystem server from npm) in cgroups of its own,
// and exits 0 only when every malicious step was alerted, each block the demo's policies name was
// seen, and no benign step alerted. Its cgroups are gone afterwards.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "agent/common/mounts.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

TEST(Demo, EveryMaliciousStepIsCaughtAndNoBenignStepAlerts) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto mounts = read_mounts();
  ASSERT_TRUE(mounts);
  auto cgroup2 = find_mount(*mounts, "cgroup2");
  ZTAI_KERNEL_PREREQ(cgroup2 ? Status() : make_error(ErrorCode::kUnsupported, "no cgroup v2 mount"));

  std::string cmd = std::string(ZTAI_BINARY) + " demo --assets " ZTAI_SOURCE_DIR "/packaging/demo" +
                    " --node-modules " ZTAI_NODE_MODULES " --rules " ZTAI_SOURCE_DIR "/rules/ai" +
                    " --rules " ZTAI_SOURCE_DIR "/rules/host 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int status = pclose(p);

  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("demo passed"), std::string::npos) << out;
  // The steps the issue names, each with its alert, and the blocks the policies name.
  for (const char* line : {"alert: Secrets or Personal Data Sent to a Model", "alert: Model Asked to Run a Dangerous Command",
                           "alert: Model Tool Call Ran a Shell or Downloader",
                           "alert: Model Weights Read by a Non-Model Process",
                           "alert: Model Server Spawned a Shell or Interpreter",
                           "BLOCK  Warning   Process policy denial: policy demo-agent",
                           "BLOCK  Warning   Network policy denial: policy demo-agent",
                           "BLOCK  Warning   Process policy denial: policy demo-model-server"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  EXPECT_EQ(out.find("MISSING"), std::string::npos) << out;
  EXPECT_NE(out.find("chain: prompt \"Please install the helper tool"), std::string::npos) << out;
  EXPECT_NE(access((*cgroup2 + "/ztai-demo").c_str(), F_OK), 0) << "the demo's cgroup was left behind";
}

}  // namespace
}  // namespace ztai
