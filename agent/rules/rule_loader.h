// Loads rule files and folders in order and compiles them: what `ztai run`, `ztai rules
// validate` and `ztai rules test` share, so all three apply the same checks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/fields/field_registry.h"
#include "agent/rules/diagnostic.h"
#include "agent/rules/rule_set.h"

namespace ztai::rules {

struct LoadedRules {
  std::shared_ptr<const RuleSet> rules;  // nullptr when diags holds errors
  Diagnostics diags;
  std::vector<std::string> files;
};

// Each path is a file or a folder; a folder contributes its *.yaml and *.yml files, recursively,
// in path order. A missing path is an error unless missing_ok (the default paths of an install).
LoadedRules load_rules(const std::vector<std::string>& paths, bool missing_ok, const FieldRegistry& registry);

// The rule files under the paths with their sizes and modification times, to notice a change.
std::string rule_files_fingerprint(const std::vector<std::string>& paths);

}  // namespace ztai::rules
