#include "agent/policy/policy_object.h"

namespace ztai::policy {

Result<std::pair<std::string, std::string>> policy_file_of(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "a WorkloadPolicy without metadata");
  }
  std::string name = object["metadata"].value("name", "");
  if (!object.contains("spec") || !object["spec"].is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "WorkloadPolicy {}: spec is missing", name);
  }
  // Only what a policy file holds: the server's metadata (uid, managedFields...) is not policy.
  nlohmann::json doc = {{"apiVersion", object.value("apiVersion", "")},
                        {"kind", object.value("kind", "")},
                        {"metadata", {{"name", name}}},
                        {"spec", object["spec"]}};
  return std::make_pair(name, doc.dump(2) + "\n");
}

}  // namespace ztai::policy
