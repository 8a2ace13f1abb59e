// Agent metrics: counters and gauges with labels, registered once and updated lock-free on the
// hot path. Collectors read values that live elsewhere (kernel maps) when a snapshot is taken.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ztai {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

enum class MetricKind { kCounter, kGauge };

struct MetricSample {
  std::string name;
  std::string help;
  MetricKind kind;
  MetricLabels labels;
  double value;
};

class MetricsRegistry {
 public:
  using Collector = std::function<void(std::vector<MetricSample>&)>;

  // Returns the same object for the same name and labels; a name keeps its first help and kind.
  Counter& counter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  void add_collector(Collector collector);

  // Every metric, sorted by name then labels.
  std::vector<MetricSample> snapshot() const;
  // Value of one series, for tests and `ztai status`; 0 when absent.
  double value(std::string_view name, const MetricLabels& labels = {}) const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    MetricKind kind;
    MetricLabels labels;
    Counter counter;
    Gauge gauge;
  };
  Entry& find_or_add(std::string_view name, std::string_view help, MetricKind kind, MetricLabels labels);

  mutable std::mutex mutex_;
  std::deque<Entry> entries_;  // deque: references stay valid as it grows
  std::vector<Collector> collectors_;
};

// Prometheus text exposition format 0.0.4.
std::string render_prometheus(const std::vector<MetricSample>& samples);

}  // namespace ztai
