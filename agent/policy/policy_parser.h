// Reading WorkloadPolicy files: one or more YAML documents per file (separated by `---`). Every
// error names file:line:col and what is wrong; a policy the kernel could only partly enforce is
// rejected here rather than loaded weaker than it reads.
#pragma once

#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/policy/workload_policy.h"

namespace ztai::policy {

inline constexpr const char* kApiVersion = "ztai.io/v1alpha1";
inline constexpr const char* kKind = "WorkloadPolicy";

// The policies of one file, or the first error in it.
Result<std::vector<WorkloadPolicy>> parse_policy_file(const std::string& path);
// The same for text already in memory; name stands for the file in errors.
Result<std::vector<WorkloadPolicy>> parse_policy_text(const std::string& text, const std::string& name);

// Checks that only make sense across all loaded policies: unique names, and every
// `ingress.allow.from.workload` names a loaded policy.
Status check_policy_set(const std::vector<WorkloadPolicy>& policies);

// Policy files and folders (every *.yaml / *.yml in a folder, sorted) -> all policies, checked as a
// set. errors gets every file's first error, so `ztai policy validate` reports all bad files.
struct LoadedPolicies {
  std::vector<WorkloadPolicy> policies;
  std::vector<std::string> files;
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};
LoadedPolicies load_policies(const std::vector<std::string>& paths);

}  // namespace ztai::policy
