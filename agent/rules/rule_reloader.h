// Re-loads the rules on request (SIGHUP) or when a rule file changes, on its own thread, and
// publishes the new set only when it compiles without errors; otherwise the errors are logged
// with file:line and the running set stays.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/fields/field_registry.h"
#include "agent/pipeline/metrics.h"
#include "agent/rules/rule_handoff.h"

namespace ztai::rules {

struct ReloaderSettings {
  std::vector<std::string> paths;
  bool missing_ok = true;
  uint32_t watch_interval_ms = 2000;  // 0: reload on request only
  // Called with a new rule set before it replaces the running one (the kernel filters are
  // widened first, so the new rules never miss an event they ask for).
  std::function<void(const RuleSet&)> before_publish = nullptr;
  // Called after every reload attempt with its outcome, in one line (the service manager's status).
  std::function<void(bool ok, const std::string& summary)> after_reload = nullptr;
};

class RuleReloader {
 public:
  RuleReloader(ReloaderSettings settings, const FieldRegistry& registry, RuleSetHandoff& handoff,
               MetricsRegistry& metrics);
  ~RuleReloader();
  RuleReloader(const RuleReloader&) = delete;
  RuleReloader& operator=(const RuleReloader&) = delete;

  void request();

 private:
  void loop();
  void reload(const char* why);

  ReloaderSettings settings_;
  const FieldRegistry& registry_;
  RuleSetHandoff& handoff_;
  Counter& ok_;
  Counter& failed_;
  std::string fingerprint_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ztai::rules
