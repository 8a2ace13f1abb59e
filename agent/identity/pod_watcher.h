// Keeps the PodStore equal to the pods of this node: list (paged) then watch from the list's
// resourceVersion, re-watching when the server closes the stream, re-listing on 410 Gone (the
// version was compacted away), and retrying with capped exponential backoff when the API server
// cannot be reached, during which unknown pods resolve as `unavailable`. One thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "agent/common/result.h"
#include "agent/identity/kube_config.h"
#include "agent/identity/pod_store.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

struct PodWatcherSettings {
  KubeApiConfig api;
  std::string node_name;
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
  std::string pods_url() const;
  void set_reachable(bool reachable, std::string_view why);
  bool wait(uint32_t ms);  // false once stopped

  PodWatcherSettings settings_;
  PodStore& store_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool reachable_ = true;

  Gauge& pods_;
  Gauge& reachable_gauge_;
  Counter& lists_;
  Counter& watch_events_;
  Counter& restarts_closed_;
  Counter& restarts_expired_;
  Counter& request_errors_;
  Counter& bad_objects_;
};

}  // namespace ztai
