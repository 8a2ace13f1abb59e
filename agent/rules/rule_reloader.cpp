#include "agent/rules/rule_reloader.h"

#include <chrono>

#include "agent/common/log.h"
#include "agent/rules/rule_loader.h"

namespace ztai::rules {

RuleReloader::RuleReloader(ReloaderSettings settings, const FieldRegistry& registry, RuleSetHandoff& handoff,
                           MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      registry_(registry),
      handoff_(handoff),
      ok_(metrics.counter("ztai_rules_reloads_total", "Rule reloads", {{"result", "ok"}})),
      failed_(metrics.counter("ztai_rules_reloads_total", "Rule reloads", {{"result", "failed"}})),
      fingerprint_(rule_files_fingerprint(settings_.paths)),
      thread_([this] { loop(); }) {}

RuleReloader::~RuleReloader() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void RuleReloader::request() {
  {
    std::lock_guard lock(mu_);
    requested_ = true;
  }
  cv_.notify_one();
}

void RuleReloader::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto wait = settings_.watch_interval_ms ? std::chrono::milliseconds(settings_.watch_interval_ms)
                                            : std::chrono::milliseconds(3'600'000);
    cv_.wait_for(lock, wait, [this] { return stop_ || requested_; });
    if (stop_) break;
    bool requested = std::exchange(requested_, false);
    lock.unlock();
    if (requested) {
      reload("reload requested");
    } else if (settings_.watch_interval_ms) {
      std::string now = rule_files_fingerprint(settings_.paths);
      if (now != fingerprint_) reload("rule files changed");
    }
    lock.lock();
  }
}

void RuleReloader::reload(const char* why) {
  fingerprint_ = rule_files_fingerprint(settings_.paths);
  LoadedRules loaded = load_rules(settings_.paths, settings_.missing_ok, registry_);
  for (const Diagnostic& d : loaded.diags.all()) {
    if (d.severity == Diagnostic::Severity::kWarning) log::warn("{}", d.str());
  }
  if (!loaded.rules) {
    failed_.inc();
    log::error("{}: the new rules have {} errors; the running rules stay:\n{}", why, loaded.diags.error_count(),
               loaded.diags.errors_text());
    if (settings_.after_reload) {
      settings_.after_reload(false, fmt::format("{}: {} errors in the new rules, the running rules stay", why,
                                                loaded.diags.error_count()));
    }
    return;
  }
  size_t n = loaded.rules->rules().size();
  if (settings_.before_publish) settings_.before_publish(*loaded.rules);
  handoff_.publish(std::move(loaded.rules));
  ok_.inc();
  log::info("{}: {} rules loaded from {} files", why, n, loaded.files.size());
  if (settings_.after_reload) {
    settings_.after_reload(true, fmt::format("{}: {} rules loaded from {} files", why, n, loaded.files.size()));
  }
}

}  // namespace ztai::rules
