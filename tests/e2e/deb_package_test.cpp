// The .deb from end to end on this machine: CPack builds it, lintian finds no error, dpkg installs
// it, the installed binary runs the way ztai.service runs it (its ExecStart, its capability
// bounding set, no new privileges, a notify socket), reloads and stops; purge leaves nothing.
// systemd is not PID 1 here, so the unit itself is checked with `systemd-analyze verify`.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/kernel_test.h"
#include "tests/support/notify_listener.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::pair<std::string, int> run(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int status = pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

bool installed() { return run("dpkg-query -W -f='${Status}' ztai | grep -q 'install ok installed'").second == 0; }

// Everything the package or its agent may create; none of it may outlive a purge.
const std::vector<std::string> kPaths = {
    "/usr/bin/ztai", "/usr/share/ztai", "/etc/ztai", "/lib/systemd/system/ztai.service",
    "/usr/share/man/man8/ztai.8.gz", "/usr/share/doc/ztai", "/var/lib/ztai", "/var/log/ztai", "/run/ztai"};

class DebPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    ASSERT_FALSE(installed()) << "a ztai package is already installed on this machine; the test will not replace it";
    // /run/ztai may hold the lock file of an agent run without the package; the rest must be absent.
    for (const std::string& p : kPaths) {
      if (p != "/run/ztai") {
        ASSERT_FALSE(fs::exists(p)) << p << " exists before the install";
      }
    }
    char tmpl[] = "/tmp/ztai-deb-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    owns_install_ = true;
  }
  void TearDown() override {
    if (agent_ > 0) {
      kill(agent_, SIGKILL);
      waitpid(agent_, nullptr, 0);
    }
    if (owns_install_ && installed()) run("dpkg --purge ztai");
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string dir_;
  bool owns_install_ = false;
  pid_t agent_ = -1;
};

std::string unit_setting(const std::string& unit, const std::string& key) {
  std::smatch m;
  if (std::regex_search(unit, m, std::regex("\n" + key + "=([^\n]*)"))) return m[1];
  return "";
}

// "CAP_BPF CAP_KILL" -> "-all,+bpf,+kill" (setpriv's spelling).
std::string setpriv_caps(const std::string& caps) {
  std::istringstream in(caps);
  std::string out = "-all";
  for (std::string c; in >> c;) {
    std::string name = c.substr(4);
    for (char& ch : name) ch = static_cast<char>(tolower(ch));
    out += ",+" + name;
  }
  return out;
}

TEST_F(DebPackage, BuildsLintsInstallsRunsLikeTheUnitAndPurgesWithoutATrace) {
  auto [built, rc] = run("cpack -G DEB --config " ZTAI_BUILD_DIR "/CPackConfig.cmake -B " + dir_);
  ASSERT_EQ(rc, 0) << built;
  std::string deb;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".deb") deb = e.path();
  }
  ASSERT_FALSE(deb.empty()) << built;

  auto [lint, lint_rc] = run("lintian --fail-on error " + deb);
  EXPECT_EQ(lint_rc, 0) << lint;

  auto [contents, c_rc] = run("dpkg-deb -c " + deb);
  ASSERT_EQ(c_rc, 0) << contents;
  for (const char* path : {"./usr/bin/ztai", "./etc/ztai/ztai.yaml", "./etc/ztai/rules.d/", "./etc/ztai/policies.d/",
                           "./usr/share/ztai/rules/host/host_rules.yaml",
                           "./usr/share/ztai/rules/ai/", "./lib/systemd/system/ztai.service",
                           "./usr/share/man/man8/ztai.8.gz", "./usr/share/doc/ztai/copyright",
                           "./usr/share/ztai/demo/ztai-llm-server", "./usr/share/ztai/demo/agent.cjs",
                           "./usr/share/ztai/demo/policies/demo.yaml", "./usr/share/ztai/demo/npm/package-lock.json"}) {
    EXPECT_NE(contents.find(path), std::string::npos) << path << " missing from the package:\n" << contents;
  }
  auto [conffiles, cf_rc] = run("dpkg-deb -I " + deb + " conffiles");
  EXPECT_EQ(conffiles, "/etc/ztai/ztai.yaml\n");

  auto [inst, inst_rc] = run("dpkg -i " + deb);
  ASSERT_EQ(inst_rc, 0) << inst;
  auto [verify, v_rc] = run("systemd-analyze verify /lib/systemd/system/ztai.service");
  EXPECT_EQ(v_rc, 0) << verify;
  EXPECT_EQ(verify, "") << "the installed unit, its binary and its man page check out";
  auto [help, h_rc] = run("/usr/bin/ztai help");
  EXPECT_EQ(h_rc, 0) << help;

  // Run the installed binary the way the unit does: its ExecStart, its capability bounding set,
  // NoNewPrivileges, the directories systemd would create, a notify socket.
  std::ifstream unit_file("/lib/systemd/system/ztai.service");
  std::string unit((std::istreambuf_iterator<char>(unit_file)), std::istreambuf_iterator<char>());
  std::string exec = unit_setting(unit, "ExecStart");
  ASSERT_EQ(exec, "/usr/bin/ztai run --config /etc/ztai/ztai.yaml");
  for (const char* d : {"/run/ztai", "/var/lib/ztai", "/var/log/ztai"}) fs::create_directories(d);
  testing::NotifyListener manager;
  ASSERT_FALSE(manager.path().empty());
  std::string command = "exec setpriv --no-new-privs --bounding-set=" +
                        setpriv_caps(unit_setting(unit, "CapabilityBoundingSet")) + " -- " + exec;
  agent_ = fork();
  if (agent_ == 0) {
    setenv("NOTIFY_SOCKET", manager.path().c_str(), 1);
    setenv("WATCHDOG_USEC", "30000000", 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  auto ready = manager.wait_for("READY=1", 60s);
  ASSERT_TRUE(ready) << "the installed agent did not become ready under the unit's capabilities";
  EXPECT_EQ(ready->sender, agent_) << "setpriv execs the agent: the main pid notifies";
  EXPECT_NE(ready->value("STATUS").find("programs attached"), std::string::npos) << ready->text;
  auto [health, health_rc] = run("curl -sf http://127.0.0.1:9377/healthz");
  EXPECT_EQ(health, "ok\n");
  kill(agent_, SIGHUP);  // ExecReload
  EXPECT_TRUE(manager.wait_for("RELOADING=1", 5s));
  EXPECT_TRUE(manager.wait_for("READY=1", 10s));
  kill(agent_, SIGTERM);
  EXPECT_TRUE(manager.wait_for("STOPPING=1", 10s));
  int status = 0;
  waitpid(agent_, &status, 0);
  agent_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  auto [purge, p_rc] = run("dpkg --purge ztai");
  ASSERT_EQ(p_rc, 0) << purge;
  EXPECT_FALSE(installed());
  for (const std::string& p : kPaths) EXPECT_FALSE(fs::exists(p)) << p << " outlived the purge";
}

}  // namespace
}  // namespace ztai
