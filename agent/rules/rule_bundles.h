// RuleBundle objects (ztai.io/v1alpha1, packaging/kubernetes/crds/rulebundle.yaml): each is one
// rule file, its spec.rules. The agent keeps them in rules.bundles_dir through a KubeFolderSync
// and loads that folder after the rule paths, so a bundle reloads like a local file.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"

namespace ztai::rules {

inline constexpr const char* kRuleBundlesPath = "/apis/ztai.io/v1alpha1/rulebundles";

// A RuleBundle object -> its name and rule text; an error names what is missing or malformed.
Result<std::pair<std::string, std::string>> rule_bundle_of(const nlohmann::json& object);

}  // namespace ztai::rules
