#include "agent/rules/rule_bundles.h"

namespace ztai::rules {

Result<std::pair<std::string, std::string>> rule_bundle_of(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "a RuleBundle without metadata");
  }
  std::string name = object["metadata"].value("name", "");
  const nlohmann::json* spec = object.contains("spec") ? &object["spec"] : nullptr;
  if (!spec || !spec->is_object() || !spec->contains("rules") || !(*spec)["rules"].is_string()) {
    return make_error(ErrorCode::kInvalidArgument, "RuleBundle {}: spec.rules is missing or not a string", name);
  }
  return std::make_pair(name, (*spec)["rules"].get<std::string>());
}

}  // namespace ztai::rules
