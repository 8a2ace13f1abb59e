// Hands a newly compiled rule set to the event thread. The event thread pays one atomic load per
// event and takes the mutex only when a new set is waiting, so a reload never blocks events and
// every event is evaluated against exactly one rule set.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "agent/rules/rule_set.h"

namespace ztai::rules {

class RuleSetHandoff {
 public:
  // Any thread; a set published before the previous one was taken replaces it.
  void publish(std::shared_ptr<const RuleSet> rules) {
    std::lock_guard lock(mu_);
    next_ = std::move(rules);
    pending_.store(true, std::memory_order_release);
  }

  // The event thread: the set published since the last call, or nullptr.
  std::shared_ptr<const RuleSet> take() {
    if (!pending_.load(std::memory_order_acquire)) return nullptr;
    std::lock_guard lock(mu_);
    pending_.store(false, std::memory_order_relaxed);
    return std::move(next_);
  }

 private:
  std::atomic<bool> pending_{false};
  std::mutex mu_;
  std::shared_ptr<const RuleSet> next_;
};

}  // namespace ztai::rules
