#include "tests/e2e/support/rule_scenario.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace ztai::testing {

using namespace std::chrono_literals;

RuleFile::RuleFile() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ztai-e2e-rules-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  path_ = dir_ + "/rules.yaml";
}

RuleFile::~RuleFile() { std::filesystem::remove_all(dir_); }

void RuleFile::write(const std::string& text) const { std::ofstream(path_) << text; }

std::string rule(const std::string& name, const std::string& condition, const std::string& extra) {
  return "- rule: " + name + "\n  desc: e2e\n  condition: " + condition + "\n  output: \"" + name +
         " (cmdline=%proc.cmdline parent=%proc.pname ppid=%proc.ppid)\"\n  priority: NOTICE\n  tags: [e2e]\n" + extra;
}

pid_t run_shell(const std::string& script) {
  pid_t shell = fork();
  if (shell == 0) {
    execl("/bin/bash", "bash", "-c", script.c_str(), nullptr);
    _exit(127);
  }
  int st = 0;
  waitpid(shell, &st, 0);
  return shell;
}

nlohmann::json alert_for(AgentProcess& agent, const std::string& rule_name, pid_t parent) {
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (auto line = agent.next_line(deadline)) {
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_discarded() || j.value("rule", "") != rule_name) continue;
    if (parent == 0 || j["output_fields"].value("proc.ppid", 0u) == static_cast<unsigned>(parent)) return j;
  }
  return {};
}

}  // namespace ztai::testing
