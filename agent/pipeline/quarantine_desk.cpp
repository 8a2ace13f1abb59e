#include "agent/pipeline/quarantine_desk.h"

#include <chrono>

#include <fmt/format.h>

#include "agent/common/log.h"

namespace ztai {

QuarantineDesk::QuarantineDesk(enforce::Quarantine& quarantine, OutputStage& output, std::string hostname,
                               MetricsRegistry& metrics)
    : quarantine_(quarantine), output_(output), hostname_(std::move(hostname)), metrics_(metrics) {}

Result<std::string> QuarantineDesk::handle(const ControlRequest& request) {
  if (request.verb == "list") {
    std::string out;
    for (const auto& [name, ids] : quarantine_.list()) out += fmt::format("{} ({} cgroups)\n", name, ids.size());
    return out.empty() ? std::string("nothing is quarantined\n") : out;
  }
  if (request.verb != "quarantine" && request.verb != "release") {
    return make_error(ErrorCode::kInvalidArgument, "unknown command '{}' (quarantine, release, list)", request.verb);
  }
  if (request.argument.empty()) return make_error(ErrorCode::kInvalidArgument, "{} needs a WORKLOAD", request.verb);
  return act(request.verb == "quarantine", request.argument, request.caller.str());
}

rules::ActionOutcome QuarantineDesk::for_rule(const std::string& rule, uint64_t cgroup_id, const ProcKey& process) {
  auto count = [&](const char* result) {
    metrics_.counter("ztai_actions_total", "Response actions asked by rules", {{"action", "quarantine"}, {"result", result}})
        .inc();
  };
  auto ref = quarantine_.workload_of(cgroup_id);
  if (!ref) {
    count("refused");
    return {false, "refused: " + ref.error().message()};
  }
  auto done = act(true, ref->str(), fmt::format("rule '{}' (pid={})", rule, process.tgid));
  count(done ? "done" : "failed");
  if (!done) return {false, "failed: " + done.error().message()};
  return {true, "quarantined " + ref->str()};
}

Result<std::string> QuarantineDesk::act(bool quarantine, const std::string& workload, const std::string& requested_by) {
  std::string_view verb = quarantine ? "quarantine" : "release";
  Result<enforce::QuarantineOutcome> outcome = make_error(ErrorCode::kInternal, "not run");
  auto ref = enforce::parse_workload_ref(workload);
  if (!ref) {
    outcome = ref.error();
  } else {
    outcome = quarantine ? quarantine_.quarantine(*ref) : quarantine_.release(*ref);
  }

  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  r.source = "response";
  r.hostname = hostname_;
  r.tags = {"response", "quarantine"};
  r.fields.emplace_back("ztai.action", std::string(verb));
  r.fields.emplace_back("ztai.workload", workload);
  r.fields.emplace_back("ztai.requested_by", requested_by);
  std::string answer;
  if (!outcome) {
    r.rule = quarantine ? "Workload quarantine failed" : "Workload release failed";
    r.priority = Priority::kError;
    r.fields.emplace_back("ztai.action_result", "failed: " + outcome.error().message());
    r.output = fmt::format("{} of {} failed: {} (requested by {})", verb, workload, outcome.error().message(), requested_by);
  } else {
    const enforce::QuarantineOutcome& o = *outcome;
    r.rule = quarantine ? "Workload quarantined" : "Workload released";
    r.priority = quarantine ? Priority::kWarning : Priority::kNotice;
    r.fields.emplace_back("ztai.action_result", std::string(o.changed ? "done" : "already quarantined"));
    r.fields.emplace_back("ztai.cgroups", o.cgroups);
    if (quarantine) {
      r.fields.emplace_back("ztai.connections_cut", static_cast<uint64_t>(o.connections_cut));
      if (!o.cut_error.empty()) r.fields.emplace_back("ztai.cut_error", o.cut_error);
    }
    answer = quarantine ? fmt::format("quarantined {}: {} cgroups denied every connect, {} connections cut{}", workload,
                                      o.cgroups.size(), o.connections_cut,
                                      o.cut_error.empty() ? "" : " (" + o.cut_error + ")")
                        : fmt::format("released {}: {} cgroups", workload, o.cgroups.size());
    r.output = fmt::format("{} (requested by {})", answer, requested_by);
  }
  if (outcome) {
    log::warn("{}", r.output);
  } else {
    log::error("{}", r.output);
  }
  output_.submit(std::move(r));
  if (!outcome) return outcome.error();
  return answer;
}

}  // namespace ztai
