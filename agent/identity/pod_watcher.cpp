#include "agent/identity/pod_watcher.h"

#include "agent/identity/kube_pods.h"

namespace ztai {

// The pods of this node (or of the cluster), as the PodStore wants them.
class PodWatcher::Pods : public KubeCollection {
 public:
  Pods(PodStore& store, Gauge& count) : store_(store), pods_(count) {}

  size_t replace_all(const std::vector<nlohmann::json>& items) override {
    std::vector<PodInfo> pods;
    size_t bad = 0;
    for (const nlohmann::json& item : items) {
      auto p = pod_from_json(item);
      if (!p) {
        ++bad;
        continue;
      }
      pods.push_back(std::move(*p));
    }
    pods_.set(static_cast<int64_t>(pods.size()));
    store_.replace_all(std::move(pods));
    return bad;
  }

  bool apply(std::string_view type, const nlohmann::json& object) override {
    auto pod = pod_from_json(object);
    if (!pod) return false;
    if (type == "DELETED") {
      store_.remove(pod->uid);
    } else if (type == "ADDED" || type == "MODIFIED") {
      store_.upsert(std::move(*pod));
    } else {
      return false;
    }
    pods_.set(static_cast<int64_t>(store_.size()));
    return true;
  }

  // Unreachable: events of pods not yet known carry workload.resolution=unavailable.
  void reachable(bool yes) override {
    store_.set_state(yes ? PodStore::State::kSynced : PodStore::State::kUnreachable);
  }

 private:
  PodStore& store_;
  Gauge& pods_;
};

PodWatcher::PodWatcher(PodWatcherSettings settings, PodStore& store, MetricsRegistry& metrics)
    : pods_(std::make_unique<Pods>(
          store, settings.node_name.empty()
                     ? metrics.gauge("ztai_k8s_cluster_pods", "Pods of the cluster known from the API server")
                     : metrics.gauge("ztai_k8s_pods", "Pods of this node known from the API server"))) {
  KubeWatchSettings w;
  w.api = std::move(settings.api);
  w.path = "/api/v1/pods";
  bool cluster = settings.node_name.empty();
  w.field_selector = cluster ? "" : "spec.nodeName=" + settings.node_name;
  w.what = cluster ? "pods of the cluster" : "pods of node " + settings.node_name;
  w.resource = "pods";
  w.metric_prefix = cluster ? "ztai_k8s_cluster" : "ztai_k8s";
  w.watch_timeout_seconds = settings.watch_timeout_seconds;
  w.retry_initial_ms = settings.retry_initial_ms;
  w.retry_max_ms = settings.retry_max_ms;
  w.connect_timeout_ms = settings.connect_timeout_ms;
  w.page_size = settings.page_size;
  watcher_ = std::make_unique<KubeWatcher>(std::move(w), *pods_, metrics);
}

PodWatcher::~PodWatcher() { stop(); }

void PodWatcher::start() { watcher_->start(); }

void PodWatcher::stop() { watcher_->stop(); }

}  // namespace ztai
