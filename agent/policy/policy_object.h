// WorkloadPolicy objects of the Kubernetes API (packaging/kubernetes/crds/workloadpolicy.yaml) as
// policy files: the same document (apiVersion, kind, metadata.name, spec), written as indented
// JSON, which is YAML, so the policy parser reads it with line numbers. The agent keeps them in
// enforcement.policies_dir through a KubeFolderSync; the policy service reloads that folder.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"

namespace ztai::policy {

inline constexpr const char* kWorkloadPoliciesPath = "/apis/ztai.io/v1alpha1/workloadpolicies";

Result<std::pair<std::string, std::string>> policy_file_of(const nlohmann::json& object);

}  // namespace ztai::policy
