// What end-to-end rule tests share: a temporary rule file, a rule's YAML, running a shell
// command, and finding the alert it raised in the agent's output.
#pragma once

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <string>

#include "tests/e2e/support/agent_process.h"

namespace ztai::testing {

class RuleFile {
 public:
  RuleFile();
  ~RuleFile();
  RuleFile(const RuleFile&) = delete;
  RuleFile& operator=(const RuleFile&) = delete;

  void write(const std::string& text) const;
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, path_;
};

// One rule whose output names the rule and the process.
std::string rule(const std::string& name, const std::string& condition, const std::string& extra = "");

// Runs `bash -c script` to completion; returns the shell's pid.
pid_t run_shell(const std::string& script);

// The first alert of `rule_name` raised by a child of `parent` (any process when 0), within two
// seconds; null when there is none.
nlohmann::json alert_for(AgentProcess& agent, const std::string& rule_name, pid_t parent);

}  // namespace ztai::testing
