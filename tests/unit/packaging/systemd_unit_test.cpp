// packaging/systemd/ztai.service: `systemd-analyze verify` accepts it, and its capabilities are
// exactly the documented ones.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/shell_command.h"

namespace {

const std::string kUnit = ZTAI_SOURCE_DIR "/packaging/systemd/ztai.service";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string setting(const std::string& unit, const std::string& key) {
  std::smatch m;
  if (std::regex_search(unit, m, std::regex("\n" + key + "=([^\n]*)"))) return m[1];
  return "";
}

std::set<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> out;
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

TEST(SystemdUnit, SystemdAnalyzeVerifyAcceptsIt) {
  // verify checks that ExecStart exists: point it at the built binary, change nothing else.
  std::string unit = read_file(kUnit);
  ASSERT_FALSE(unit.empty());
  unit = std::regex_replace(unit, std::regex("ExecStart=/usr/bin/ztai"), "ExecStart=" ZTAI_BINARY);
  char dir[] = "/tmp/ztai-unit-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  std::string path = std::string(dir) + "/ztai.service";
  std::ofstream(path) << unit;
  auto [out, rc] = ztai::testing::run_shell("systemd-analyze verify --man=no " + path);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << "every warning is a finding";
}

TEST(SystemdUnit, IsANotifyServiceThatReloadsWithSighupAndIsWatched) {
  std::string unit = read_file(kUnit);
  EXPECT_EQ(setting(unit, "Type"), "notify");
  EXPECT_EQ(setting(unit, "NotifyAccess"), "main");
  EXPECT_EQ(setting(unit, "ExecReload"), "/bin/kill -HUP $MAINPID");
  EXPECT_NE(setting(unit, "WatchdogSec"), "") << "the agent pings from its reader loop";
  EXPECT_EQ(setting(unit, "Restart"), "on-failure");
}

TEST(SystemdUnit, CapabilitiesAreExactlyTheDocumentedOnesEachWithItsReason) {
  std::string unit = read_file(kUnit);
  std::set<std::string> bounding = words(setting(unit, "CapabilityBoundingSet"));
  EXPECT_EQ(bounding, words(setting(unit, "AmbientCapabilities")));
  const std::set<std::string> needed = {"CAP_BPF",  "CAP_PERFMON",    "CAP_SYS_ADMIN",      "CAP_NET_ADMIN",
                                        "CAP_KILL", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"};
  EXPECT_EQ(bounding, needed);
  for (const std::string& cap : bounding) {
    EXPECT_TRUE(std::regex_search(unit, std::regex("\n#   " + cap + " +[a-z]"))) << cap << " has no comment saying why";
  }
}

TEST(SystemdUnit, WritablePlacesAreOnlyTheAgentsOwn) {
  std::string unit = read_file(kUnit);
  EXPECT_EQ(setting(unit, "ProtectSystem"), "strict");
  EXPECT_EQ(setting(unit, "StateDirectory"), "ztai");
  EXPECT_EQ(setting(unit, "RuntimeDirectory"), "ztai");
  EXPECT_EQ(setting(unit, "ReadWritePaths"), "") << "no other writable path";
  // tracefs and bpffs may have to be mounted under /sys: it must stay writable.
  EXPECT_EQ(setting(unit, "ProtectKernelTunables"), "");
}

}  // namespace
