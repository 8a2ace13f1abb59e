// `ztai run`: start-up (preflight, outputs, programs, process table), the reader loop, and a
// clean stop that detaches every program.
#pragma once

#include <atomic>
#include <functional>

#include "agent/common/result.h"
#include "agent/config/agent_config.h"

namespace ztai {

struct RunHooks {
  // Called once everything is attached and the process table is seeded.
  std::function<void()> on_ready;
  // Set (by SIGHUP) to ask for a rule reload; the run clears it when it hands the request on.
  std::atomic<bool>* reload = nullptr;
};

// Runs until stop becomes true; start-up errors are returned before anything is left behind.
Status run_agent(const AgentConfig& config, const std::atomic<bool>& stop, const RunHooks& hooks = {});

}  // namespace ztai
