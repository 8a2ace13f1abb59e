#include "agent/identity/identity_service.h"

#include <unistd.h>

#include <cstdlib>

#include "agent/common/log.h"
#include "agent/common/mounts.h"

namespace ztai {

Result<KubeApiConfig> kube_api_config(const KubernetesSettings& k) {
  if (k.enabled == "false") return make_error(ErrorCode::kNotFound, "Kubernetes metadata is off (enabled: false)");
  if (!k.kubeconfig.empty()) return kube_config_from_file(k.kubeconfig, k.api_server);
  if (k.enabled == "auto" && access(k.token_file.c_str(), R_OK) != 0) {
    return make_error(ErrorCode::kNotFound, "no service-account token at {} and no kubeconfig", k.token_file);
  }
  return kube_in_cluster_config(k.token_file, k.ca_file, k.api_server);
}

const PodStore* IdentityService::cluster_pods() {
  if (!cluster_watch_) return nullptr;
  if (!cluster_watcher_) {
    cluster_pods_ = std::make_unique<PodStore>();
    cluster_watcher_ = std::make_unique<PodWatcher>(*cluster_watch_, *cluster_pods_, *metrics_);
    cluster_watcher_->start();
    log::info("Kubernetes metadata: watching the pods of the whole cluster (segmentation of pods on other nodes)");
  }
  return cluster_pods_.get();
}

Result<std::unique_ptr<IdentityService>> IdentityService::start(const IdentitySettings& settings,
                                                                const IdentityHost& host, MetricsRegistry& metrics) {
  std::unique_ptr<IdentityService> s(new IdentityService());
  auto mounts = read_mounts(host.mounts_file);
  if (!mounts) return mounts.error();
  std::string cgroup2 = find_mount(*mounts, "cgroup2").value_or("");
  bool hybrid = has_cgroup_v1_mounts(*mounts);
  if (cgroup2.empty()) {
    log::warn("no cgroup v2 mount: workloads are named from cgroup v1 paths only, and no policy keyed by cgroup can "
              "be enforced per workload (workload.enforceable=false)");
  } else if (hybrid) {
    log::warn("hybrid cgroup host (v2 at {}, v1 hierarchies mounted too): containers whose runtime uses the "
              "cgroupfs driver live only in v1 and share one v2 cgroup; they are named from /proc/PID/cgroup but "
              "per-container enforcement is not possible for them (workload.enforceable=false, "
              "ztai_identity_v1_only_events_total)",
              cgroup2);
  }
  s->paths_ = std::make_unique<CgroupPaths>(cgroup2, settings.max_cgroups, metrics);
  size_t scanned = s->paths_->scan();

  s->node_name_ = settings.node_name;
  if (s->node_name_.empty()) {
    const char* env = std::getenv("NODE_NAME");
    s->node_name_ = env && *env ? env : host.host_name;
  }

  auto api = kube_api_config(settings.kubernetes);
  if (!api && (settings.kubernetes.enabled == "true" || api.error().code() != ErrorCode::kNotFound)) {
    return api.error().context("identity.kubernetes");
  }
  if (api) {
    s->pods_ = std::make_unique<PodStore>();
    PodWatcherSettings w;
    w.api = *api;
    w.node_name = s->node_name_;
    w.watch_timeout_seconds = settings.kubernetes.watch_timeout_seconds;
    w.retry_max_ms = settings.kubernetes.retry_max_seconds * 1000;
    s->cluster_watch_ = w;
    s->cluster_watch_->node_name.clear();
    s->metrics_ = &metrics;
    s->watcher_ = std::make_unique<PodWatcher>(std::move(w), *s->pods_, metrics);
    s->watcher_->start();
    log::info("Kubernetes metadata: watching pods of node {} at {} ({})", s->node_name_, api->server, api->source);
  } else {
    log::info("Kubernetes metadata off: {}; pod events say workload.resolution=unavailable", api.error().message());
  }

  WorkloadResolverSettings r;
  r.trust_domain = settings.trust_domain;
  r.node_name = s->node_name_;
  r.host_name = host.host_name;
  r.hybrid = hybrid || cgroup2.empty();
  r.proc_root = host.proc_root;
  r.max_entries = settings.max_cgroups;
  s->resolver_ = std::make_unique<WorkloadResolver>(std::move(r), *s->paths_, s->pods_.get(), metrics);
  if (settings.exe_hash.enabled) {
    ExeHasherSettings h;
    h.max_file_bytes = settings.exe_hash.max_file_bytes;
    h.cache_entries = settings.exe_hash.cache_entries;
    h.proc_root = host.proc_root;
    s->hasher_ = std::make_unique<ExeHasher>(std::move(h), metrics);
  }
  log::info("workload identity: {} cgroups under {} scanned, trust domain {}", scanned,
            cgroup2.empty() ? "<none>" : cgroup2, settings.trust_domain);
  return s;
}

IdentityService::~IdentityService() {
  if (watcher_) watcher_->stop();
}

}  // namespace ztai
