// Keeps a loop from flooding a SIEM: per rule and workload (cgroup), at most `burst` alerts per
// window, whether one process repeats or a loop starts new ones; the rest are suppressed and
// counted, and the next alert let through for that rule and workload carries the count (field ztai.suppressed and a note in its output). Memory is bounded: past
// max_keys, expired windows are dropped first, then the oldest; suppressed counts are also
// in a metric, so nothing disappears unseen.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "agent/events/event.h"
#include "agent/pipeline/metrics.h"
#include "exporters/record.h"

namespace ztai::rules {

struct AlertLimits {
  uint32_t burst = 10;  // 0: no limit
  uint64_t window_ns = 60'000'000'000;
  size_t max_keys = 65536;
};

class AlertLimiter {
 public:
  AlertLimiter(AlertLimits limits, MetricsRegistry& metrics);

  // Whether to send the alert raised at `now_ns` in the workload of cgroup `workload`; when it
  // goes, adds the count of alerts suppressed since the last one of this rule and workload.
  bool admit(Record& alert, uint64_t workload, uint64_t now_ns);

  size_t size() const { return states_.size(); }

 private:
  struct Key {
    std::string rule;
    uint64_t workload;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<std::string>{}(k.rule) ^ (std::hash<uint64_t>{}(k.workload) * 31);
    }
  };
  struct State {
    uint64_t window_start = 0;
    uint32_t sent = 0;
    uint64_t suppressed = 0;
    std::list<Key>::iterator order;
  };

  void make_room(uint64_t now_ns);

  AlertLimits limits_;
  std::unordered_map<Key, State, KeyHash> states_;
  std::list<Key> order_;  // least recently alerted first
  Counter& suppressed_;
  Counter& forgotten_;
};

}  // namespace ztai::rules
