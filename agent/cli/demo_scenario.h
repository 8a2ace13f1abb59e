// What `ztai demo` does and what it must see: the steps of the scenario as data (an action, and
// the alerts and blocks each step must raise; benign steps must raise none), and the judgement of
// what was seen. Adding a detection to the demo is one more expected alert in demo_steps().
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"

namespace ztai::demo {

enum class StepKind { kBenign, kMalicious };

// Who carries out a step.
enum class Actor {
  kModelServerStart,  // the model server starts in its cgroup and loads its weights
  kAgent,             // a JSON command for the node agent (packaging/demo/agent.cjs)
  kAgentHostShell,    // bash -c TEXT in the agent's cgroup: someone with a shell on the agent host
};

struct ExpectedAlert {
  std::string rule;
  // field -> value the alert must carry (e.g. policy.name), so a block is the one the policy names.
  std::map<std::string, std::string> fields;
  bool block = false;  // a policy denial: the action was refused, not only seen
};

struct DemoStep {
  std::string title;
  StepKind kind = StepKind::kBenign;
  Actor actor = Actor::kAgent;
  // Placeholders: {workspace} {weights} {adapter} {outside} (host:port) {stage}.
  std::string action;
  std::vector<ExpectedAlert> expect;
};

const std::vector<DemoStep>& demo_steps();

// Replaces every {name} of vars in text.
std::string substitute(std::string text, const std::map<std::string, std::string>& vars);

// The step with its placeholders (action and expected field values) replaced.
DemoStep resolve(const DemoStep& step, const std::map<std::string, std::string>& vars);

// An alert the agent raised for a process of the demo's cgroups.
struct SeenAlert {
  std::string time;  // RFC 3339 UTC, of the event that raised it
  std::string rule;
  std::string priority;
  std::string output;
  nlohmann::json fields;  // output_fields
};

// One line of the alerts file (the json output format); nullopt for lines that are not alerts or
// come from outside cgroup_prefix.
Result<std::optional<SeenAlert>> parse_alert_line(const std::string& line, const std::string& cgroup_prefix);

bool is_policy_denial(const SeenAlert& a);

// Which step an alert belongs to: the last one started at or before its event (step_starts are
// RFC 3339 UTC times in the format of the alerts, ascending); events before the first step count
// for the first.
size_t step_of(const SeenAlert& a, const std::vector<std::string>& step_starts);

struct StepVerdict {
  std::vector<bool> expected_seen;  // one per DemoStep::expect
  std::vector<size_t> unexpected;   // alerts of a benign step (indexes into the step's alerts)
  bool ok() const;
};

StepVerdict judge(const DemoStep& step, const std::vector<SeenAlert>& alerts);

// Whether every expected alert of the step is among alerts (the demo stops waiting then).
bool all_seen(const DemoStep& step, const std::vector<SeenAlert>& alerts);

}  // namespace ztai::demo
