// cgroup id (+ process, on hybrid hosts) -> WorkloadIdentity, on the event path. Identities are
// cached per cgroup id and rebuilt only when the pod store changes or the cgroup is removed, so
// a warm lookup is one hash probe. Runs on the reader thread; the pod store is the only state
// shared with another thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "agent/events/event.h"
#include "agent/identity/cgroup_paths.h"
#include "agent/identity/pod_store.h"
#include "agent/identity/workload.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

struct WorkloadResolverSettings {
  std::string trust_domain = "cluster.local";
  std::string node_name;
  std::string host_name;  // workload.name of host processes
  // cgroup v1 hierarchies are mounted too: look for containers there when v2 shows none.
  bool hybrid = false;
  std::string proc_root = "/proc";
  size_t max_entries = 65536;  // cached identities, and processes with a v1 identity
};

class WorkloadResolver {
 public:
  // pods: nullptr when Kubernetes metadata is not configured.
  WorkloadResolver(WorkloadResolverSettings settings, CgroupPaths& paths, const PodStore* pods,
                   MetricsRegistry& metrics);

  // Applies cgroup lifecycle and process exit events to the caches, and returns the identity of
  // the acting process (never nullptr). Valid until the next call.
  const WorkloadIdentity* resolve(const Event& event);

  const WorkloadResolverSettings& settings() const { return settings_; }

 private:
  struct CacheEntry {
    std::shared_ptr<WorkloadIdentity> identity;
    uint64_t pod_generation = 0;
  };
  std::shared_ptr<WorkloadIdentity> build(uint64_t cgroup_id);
  void complete(WorkloadIdentity& w);
  const WorkloadIdentity* by_cgroup(uint64_t cgroup_id);
  const WorkloadIdentity* from_v1(const Event& event, const WorkloadIdentity* v2);
  std::shared_ptr<WorkloadIdentity> read_v1(uint32_t tgid);
  void count(const WorkloadIdentity& w);

  WorkloadResolverSettings settings_;
  CgroupPaths& paths_;
  const PodStore* pods_;
  std::unordered_map<uint64_t, CacheEntry> by_cgroup_;
  // Hybrid hosts: the v1 identity of each process whose v2 cgroup shows no container (nullptr:
  // none in v1 either), read once per process and inherited on fork.
  std::unordered_map<ProcKey, CacheEntry, ProcKeyHash> by_process_;
  WorkloadIdentity unresolved_;
  std::shared_ptr<WorkloadIdentity> last_exited_;
  bool warned_v1_ = false;
  std::array<Counter*, 5> by_resolution_{};
  Counter& v1_only_;
  Counter& evicted_;
};

}  // namespace ztai
