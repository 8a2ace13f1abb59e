// Response actions a rule can ask for besides its alert. They act only on the process of the
// matched event, identified by its key (tgid + start time), so a pid reused since the event is
// never hit: the process is pinned with a pidfd first, then the pid's start time is checked, and
// the signal goes through the pidfd.
#pragma once

#include <cstdint>
#include <string>

#include "agent/events/event.h"
#include "agent/identity/procfs.h"
#include "agent/pipeline/metrics.h"

namespace ztai::rules {

// kQuarantine is carried out by the agent's quarantine desk (agent/pipeline/quarantine_desk.h),
// which needs the network enforcement the Responder does not hold.
enum class Action { kKill, kQuarantine };

struct ActionOutcome {
  bool done = false;
  std::string detail;  // "killed", or why not
};

class Responder {
 public:
  Responder(Procfs procfs, uint32_t self_tgid, MetricsRegistry& metrics);

  ActionOutcome kill(const ProcKey& process);

 private:
  Procfs procfs_;
  uint32_t self_tgid_;
  Counter& killed_;
  Counter& refused_;
  Counter& failed_;
};

}  // namespace ztai::rules
