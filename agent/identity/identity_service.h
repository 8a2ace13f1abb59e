// Everything workload identity needs at run time, built from the `identity:` config: the cgroup
// path cache (scanned at start), the Kubernetes pod watch when the agent runs in a cluster or has
// a kubeconfig, and the resolver the event processor asks. Says at start-up, loudly, what it
// cannot do on this host (no cgroup v2, hybrid cgroups, no API server).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/common/result.h"
#include "agent/config/agent_config.h"
#include "agent/identity/cgroup_paths.h"
#include "agent/identity/exe_hasher.h"
#include "agent/identity/pod_store.h"
#include "agent/identity/pod_watcher.h"
#include "agent/identity/workload_resolver.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

struct IdentityHost {
  std::string host_name;
  std::string mounts_file = "/proc/mounts";
  std::string proc_root = "/proc";
};

class IdentityService {
 public:
  static Result<std::unique_ptr<IdentityService>> start(const IdentitySettings& settings, const IdentityHost& host,
                                                        MetricsRegistry& metrics);
  ~IdentityService();

  WorkloadResolver& resolver() { return *resolver_; }
  // nullptr when Kubernetes metadata is off.
  const PodStore* pods() const { return pods_.get(); }
  const std::string& node_name() const { return node_name_; }
  // The pods of the whole cluster, watched from the first call on: segmentation of pods on other
  // nodes needs them, and only policies with ingress rules ask. nullptr when Kubernetes metadata
  // is off.
  const PodStore* cluster_pods();
  // nullptr when identity.exe_hash.enabled is false.
  ExeHasher* exe_hashes() { return hasher_.get(); }

 private:
  IdentityService() = default;

  std::string node_name_;
  std::unique_ptr<CgroupPaths> paths_;
  std::unique_ptr<PodStore> pods_;
  std::unique_ptr<PodWatcher> watcher_;
  std::optional<PodWatcherSettings> cluster_watch_;  // how to watch the cluster's pods, when asked
  MetricsRegistry* metrics_ = nullptr;
  std::unique_ptr<PodStore> cluster_pods_;
  std::unique_ptr<PodWatcher> cluster_watcher_;
  std::unique_ptr<WorkloadResolver> resolver_;
  std::unique_ptr<ExeHasher> hasher_;
};

// How the agent reaches the API server under these settings; nullopt-like error kNotFound when
// Kubernetes metadata is off or (enabled: auto) nothing says the agent is in a cluster.
Result<KubeApiConfig> kube_api_config(const KubernetesSettings& settings);

}  // namespace ztai
