// Rule tests: YAML files that name rule files, feed synthetic events through a fresh process
// table and the compiled rules, and list the alerts they expect (or none). The format is in
// rules/README.md.
#pragma once

#include <string>
#include <vector>

#include "agent/fields/field_registry.h"

namespace ztai::rules {

struct RuleTestReport {
  size_t passed = 0;
  size_t failed = 0;
  // One line per test ("PASS file: name", "FAIL file:line: name: why") and per load problem.
  std::vector<std::string> lines;

  bool ok() const { return failed == 0 && passed > 0; }
};

// Each path is a test file or a folder of them (*.yaml, recursively).
RuleTestReport run_rule_tests(const std::vector<std::string>& paths, const FieldRegistry& registry);

}  // namespace ztai::rules
