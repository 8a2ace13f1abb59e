// `ztai run`: start-up (preflight, outputs, programs, process table), the reader loop, and a
// clean stop that detaches every program.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "agent/common/result.h"
#include "agent/config/agent_config.h"

namespace ztai {

struct RunHooks {
  // Called once everything is attached, the rules loaded and the process table seeded, with a
  // one-line summary.
  std::function<void(const std::string& summary)> on_ready;
  // Called about once a second from the reader loop while it keeps up (the service watchdog).
  std::function<void()> on_tick;
  // A reload request was handed to the rule reloader; its outcome follows in on_reloaded
  // (called on the reloader's thread, also for reloads after a rule file changed).
  std::function<void()> on_reload_requested;
  std::function<void(bool ok, const std::string& summary)> on_reloaded;
  // The stop was seen: outputs drain and programs detach next.
  std::function<void()> on_stopping;
  // Set (by SIGHUP) to ask for a rule reload; the run clears it when it hands the request on.
  std::atomic<bool>* reload = nullptr;
};

// Runs until stop becomes true; start-up errors are returned before anything is left behind.
Status run_agent(const AgentConfig& config, const std::atomic<bool>& stop, const RunHooks& hooks = {});

}  // namespace ztai
