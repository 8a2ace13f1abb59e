// The identity of the workload an event came from, as precisely as the host allows. It is never
// silently empty: `resolution` says whether it is complete, still pending, or could not be had.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/identity/cgroup_workload.h"
#include "agent/identity/pod_store.h"

namespace ztai {

enum class Resolution {
  kHost,         // a host process: there is nothing more to know
  kResolved,     // everything that applies to this kind of workload is known
  kPending,      // a pod or container the metadata source has not described yet
  kUnavailable,  // a pod, but Kubernetes metadata is not configured or the API server is unreachable
  kFailed,       // the cgroup id could not be turned into a path
};

std::string_view resolution_name(Resolution r);

struct WorkloadIdentity {
  uint64_t cgroup_id = 0;
  std::string cgroup_path;  // relative to the cgroup v2 mount, or the v1 path when from_v1
  // Taken from a cgroup v1 hierarchy: the container shares its v2 cgroup with others, so nothing
  // keyed by cgroup v2 id (policies, in-kernel filters) can tell it apart.
  bool from_v1 = false;
  CgroupWorkload cgroup;
  std::shared_ptr<const PodInfo> pod;
  const PodContainer* container = nullptr;  // points into *pod
  Resolution resolution = Resolution::kFailed;
  std::string name;      // workload.name
  std::string spiffe_id;

  bool enforceable() const { return !from_v1 && resolution != Resolution::kFailed; }
};

}  // namespace ztai
