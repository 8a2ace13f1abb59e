// Pod objects of the Kubernetes API (core/v1 Pod, JSON) -> PodInfo. Only what identity needs is
// read; a pod without metadata.uid is an error, any other missing field stays empty.
#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "agent/common/result.h"
#include "agent/identity/pod_store.h"

namespace ztai {

Result<PodInfo> pod_from_json(const nlohmann::json& pod);

// "containerd://0123..." -> "0123..."; CRI-O, docker and podman ids have the same shape.
std::string_view strip_container_scheme(std::string_view container_id);

}  // namespace ztai
