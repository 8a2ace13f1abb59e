// Quarantine and release as the operator (`ztai quarantine`, over the control socket) or a rule
// (`actions: [quarantine]`) asks for them: one path for both, acting through enforce::Quarantine
// and writing one audit alert per request, done or not, through the normal outputs, naming who
// asked (the caller's uid, pid and binary, or the rule and the event's process).
#pragma once

#include <string>

#include "agent/api/control_server.h"
#include "agent/enforce/quarantine.h"
#include "agent/events/event.h"
#include "agent/pipeline/metrics.h"
#include "agent/pipeline/output_stage.h"
#include "agent/rules/responder.h"

namespace ztai {

class QuarantineDesk {
 public:
  QuarantineDesk(enforce::Quarantine& quarantine, OutputStage& output, std::string hostname, MetricsRegistry& metrics);

  // Control socket verbs: quarantine WORKLOAD, release WORKLOAD, list.
  Result<std::string> handle(const ControlRequest& request);
  // A rule's quarantine action: the workload of the event's cgroup (its pod, else its container,
  // else the cgroup).
  rules::ActionOutcome for_rule(const std::string& rule, uint64_t cgroup_id, const ProcKey& process);

 private:
  Result<std::string> act(bool quarantine, const std::string& workload, const std::string& requested_by);

  enforce::Quarantine& quarantine_;
  OutputStage& output_;
  std::string hostname_;
  MetricsRegistry& metrics_;
};

}  // namespace ztai
