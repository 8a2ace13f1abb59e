// RuleBundle objects (ztai.io/v1alpha1, packaging/kubernetes/crds/rulebundle.yaml) kept as rule
// files: one `<name>.yaml` per bundle, holding its spec.rules, in a folder the rule reloader loads
// after the configured paths. A bundle is then checked, reported (file:line names the bundle) and
// reloaded exactly like a local file, a broken one leaves the running rules in place, and the
// last bundles seen still load after a restart while the API server is away.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"
#include "agent/identity/kube_watcher.h"

namespace ztai::rules {

inline constexpr const char* kRuleBundlesPath = "/apis/ztai.io/v1alpha1/rulebundles";

// A RuleBundle object -> its name and rule text; an error names what is missing or malformed.
Result<std::pair<std::string, std::string>> rule_bundle_of(const nlohmann::json& object);

class RuleBundleFolder : public KubeCollection {
 public:
  // changed: called after the folder's files changed (a reload is due); not when nothing did.
  RuleBundleFolder(std::string folder, std::function<void()> changed)
      : folder_(std::move(folder)), changed_(std::move(changed)) {}

  // Creates the folder when missing.
  Status prepare() const;
  size_t replace_all(const std::vector<nlohmann::json>& items) override;
  bool apply(std::string_view type, const nlohmann::json& object) override;

 private:
  // Each returns true when the folder changed.
  bool write(const std::string& name, const std::string& rules);
  bool remove(const std::string& name);

  std::string folder_;
  std::function<void()> changed_;
};

}  // namespace ztai::rules
