// Keeps a local copy of one Kubernetes collection (pods of a node, a CRD's objects): list (paged)
// then watch from the list's resourceVersion, re-watching when the server closes the stream,
// re-listing on 410 Gone (the version was compacted away), and retrying with capped exponential
// backoff when the API server cannot be reached. One thread; what to do with the objects is the
// KubeCollection's business.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"
#include "agent/identity/kube_config.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

// The receiving side. Called on the watcher's thread only.
class KubeCollection {
 public:
  virtual ~KubeCollection() = default;
  // The whole collection after a list; returns how many items it could not read.
  virtual size_t replace_all(const std::vector<nlohmann::json>& items) = 0;
  // One watch event (ADDED, MODIFIED, DELETED); false when the object cannot be read.
  virtual bool apply(std::string_view type, const nlohmann::json& object) = 0;
  // The API server stopped or started answering.
  virtual void reachable(bool yes) { (void)yes; }
};

struct KubeWatchSettings {
  KubeApiConfig api;
  std::string path;            // "/api/v1/pods", "/apis/ztai.io/v1alpha1/rulebundles"
  std::string field_selector;  // "spec.nodeName=node-1"; empty: every object
  std::string what;            // "pods of node node-1": in logs and errors
  std::string resource;        // "pods": the RBAC hint when the server says 401/403
  std::string metric_prefix;   // "ztai_k8s": <prefix>_lists_total, <prefix>_watch_events_total...
  uint32_t watch_timeout_seconds = 300;  // asked of the server; it then closes the stream
  uint32_t retry_initial_ms = 250;
  uint32_t retry_max_ms = 30000;
  uint32_t connect_timeout_ms = 5000;
  uint32_t page_size = 500;
};

class KubeWatcher {
 public:
  KubeWatcher(KubeWatchSettings settings, KubeCollection& collection, MetricsRegistry& metrics);
  ~KubeWatcher();
  KubeWatcher(const KubeWatcher&) = delete;
  KubeWatcher& operator=(const KubeWatcher&) = delete;

  void start();
  void stop();

 private:
  enum class WatchEnd { kClosed, kExpired, kFailed, kStopped };
  struct Response {
    long status = 0;
    std::string error;  // transport error, or the body of a non-200 answer
  };

  void run();
  Result<std::string> list();
  WatchEnd watch(std::string& resource_version);
  bool handle_watch_line(std::string_view line, std::string& resource_version, WatchEnd& end);
  Response get(const std::string& url, long timeout_s, const std::function<bool(std::string_view)>& on_body);
  std::string collection_url() const;  // ends with '?' or '&', ready for more parameters
  void set_reachable(bool reachable, std::string_view why);
  bool wait(uint32_t ms);  // false once stopped

  KubeWatchSettings settings_;
  KubeCollection& collection_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool reachable_ = true;

  Gauge& reachable_gauge_;
  Counter& lists_;
  Counter& watch_events_;
  Counter& restarts_closed_;
  Counter& restarts_expired_;
  Counter& request_errors_;
  Counter& bad_objects_;
};

}  // namespace ztai
