#include "agent/rules/alert_limiter.h"

#include <fmt/format.h>

namespace ztai::rules {

AlertLimiter::AlertLimiter(AlertLimits limits, MetricsRegistry& metrics)
    : limits_(limits),
      suppressed_(metrics.counter("ztai_alerts_suppressed_total",
                                  "Alerts held back by the per-rule, per-workload rate limit")),
      forgotten_(metrics.counter("ztai_alert_limiter_evicted_total",
                                 "Rate-limit states dropped at the key cap; their pending suppressed counts "
                                 "are only in ztai_alerts_suppressed_total")) {}

bool AlertLimiter::admit(Record& alert, uint64_t workload, uint64_t now_ns) {
  if (limits_.burst == 0) return true;
  Key key{alert.rule, workload};
  auto it = states_.find(key);
  if (it == states_.end()) {
    if (states_.size() >= limits_.max_keys) make_room(now_ns);
    order_.push_back(key);
    it = states_.emplace(std::move(key), State{now_ns, 0, 0, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  State& s = it->second;
  if (now_ns - s.window_start >= limits_.window_ns) {
    s.window_start = now_ns;
    s.sent = 0;
  }
  if (s.sent >= limits_.burst) {
    ++s.suppressed;
    suppressed_.inc();
    return false;
  }
  ++s.sent;
  if (s.suppressed) {
    alert.fields.emplace_back("ztai.suppressed", s.suppressed);
    alert.output += fmt::format(" ({} similar alerts suppressed)", s.suppressed);
    s.suppressed = 0;
  }
  return true;
}

void AlertLimiter::make_room(uint64_t now_ns) {
  for (auto k = order_.begin(); k != order_.end() && states_.size() >= limits_.max_keys;) {
    auto s = states_.find(*k);
    bool expired = now_ns - s->second.window_start >= limits_.window_ns && s->second.suppressed == 0;
    if (!expired) break;  // the list is in alert order: later keys are younger
    states_.erase(s);
    k = order_.erase(k);
  }
  if (states_.size() >= limits_.max_keys) {
    forgotten_.inc();
    states_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace ztai::rules
