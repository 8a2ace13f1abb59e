// Keeps the PodStore equal to the pods of this node (or, without a node name, of the whole
// cluster: segmentation of pods on other nodes) through a KubeWatcher on /api/v1/pods; while the
// API server cannot be reached, unknown pods resolve as `unavailable`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/identity/kube_config.h"
#include "agent/identity/kube_watcher.h"
#include "agent/identity/pod_store.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

struct PodWatcherSettings {
  KubeApiConfig api;
  std::string node_name;  // empty: every pod of the cluster
  uint32_t watch_timeout_seconds = 300;  // asked of the server; it then closes the stream
  uint32_t retry_initial_ms = 250;
  uint32_t retry_max_ms = 30000;
  uint32_t connect_timeout_ms = 5000;
  uint32_t page_size = 500;
};

class PodWatcher {
 public:
  PodWatcher(PodWatcherSettings settings, PodStore& store, MetricsRegistry& metrics);
  ~PodWatcher();
  PodWatcher(const PodWatcher&) = delete;
  PodWatcher& operator=(const PodWatcher&) = delete;

  void start();
  void stop();

 private:
  class Pods;
  std::unique_ptr<Pods> pods_;
  std::unique_ptr<KubeWatcher> watcher_;
};

}  // namespace ztai
