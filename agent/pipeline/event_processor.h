// Turns raw kernel records into typed events and acts on them: updates the process table,
// and (with --events) sends each event to the outputs. Runs on the reader thread.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>

#include "agent/capture/data_decoder.h"
#include "agent/common/clock.h"
#include "agent/fields/field_registry.h"
#include "agent/identity/process_table.h"
#include "agent/identity/workload_resolver.h"
#include "agent/kernel/record_sink.h"
#include "agent/protocols/dns/dns_names.h"
#include "agent/protocols/stream/conversation_tracker.h"
#include "agent/pipeline/ai_audit.h"
#include "agent/pipeline/metrics.h"
#include "agent/pipeline/output_stage.h"
#include "agent/rules/alert_limiter.h"
#include "agent/rules/rule_handoff.h"
#include "agent/rules/sequence_engine.h"

namespace ztai {

struct EventProcessorSettings {
  bool emit_events = false;
  std::string hostname;
};

class EventProcessor : public RecordSink {
 public:
  EventProcessor(EventProcessorSettings settings, ProcessTable& processes, OutputStage& output,
                 const BootClock& clock, MetricsRegistry& metrics, WorkloadResolver* workloads = nullptr);

  // Evaluate rules after each event's process table update: the set published to the handoff
  // (before the first event, then on each reload) is swapped in between two events.
  // Sequence rules go through the stateful stage (agent/rules/sequence_engine) with these settings.
  void use_rules(rules::RuleSetHandoff& handoff, rules::MatchMode mode, rules::AlertLimits limits,
                 MetricsRegistry& metrics, rules::SequenceSettings sequences = {});

  // Name the policy and rule of each network policy denial (from the loaded policies), and raise
  // one alert per denial, whatever the rules say: a denial is never silent.
  void use_denial_names(std::function<void(NetDenialPayload&)> namer) { name_denial_ = std::move(namer); }
  // The same for exec, io_uring, unix connect and protected-file denials.
  void use_guard_denial_names(std::function<void(GuardDenialPayload&)> namer) {
    name_guard_denial_ = std::move(namer);
  }

  // Name the agent's own maps, programs and links in self-protection events. Those events raise
  // an alert whatever the rules say: the sensor being tampered with is never silent.
  void use_selfguard_names(std::function<void(SelfGuardPayload&)> namer) { name_selfguard_ = std::move(namer); }
  // The AI audit trail: a record per LLM request, LLM response and MCP message (audit.ai).
  void use_audit(AuditSettings settings);
  // Carries out rules' `quarantine` action on the workload of the event's cgroup (the quarantine
  // desk); without it the action is refused in the alert: network enforcement is not running.
  using QuarantineAction =
      std::function<rules::ActionOutcome(const std::string& rule, uint64_t cgroup_id, const ProcKey& process)>;
  void use_quarantine(QuarantineAction quarantine) { quarantine_ = std::move(quarantine); }

  // Hash the executable of every exec (off the event path) and expose it as proc.exe_sha256.
  void use_exe_hashes(ExeHasher& hashes) { exe_hashes_ = &hashes; }

  // Called with each process after its exec is applied to the table.
  void use_exec_watch(std::function<void(const ProcessInfo&)> watch) { exec_watch_ = std::move(watch); }

  void on_record(std::span<const std::byte> record) override;
  // The same, for an event that is already decoded (tests, replays).
  void on_event(const Event& event);

  // Captured stream data (TLS plaintext, sockets, pipes), reassembled per connection and decoded
  // into llm_request, llm_response and mcp_message events, each then handled as on_event does.
  void on_chunk(const DataChunk& chunk);
  // The capture saw the connection or pipe end: completes a response delimited by the close.
  void on_stream_end(uint64_t conn_id, const EventHeader& hdr);
  const ConversationTracker& conversations() const { return conversations_; }

  // Between events: sequence rules apply what waited out the reorder window by now.
  void tick(uint64_t now_boot_ns);
  // At the end: sequence rules apply everything still waiting.
  void finish();

 private:
  Record event_record(const EventContext& ctx) const;
  Record denial_alert(const EventContext& ctx, const NetDenialPayload& d) const;
  Record guard_denial_alert(const EventContext& ctx, const GuardDenialPayload& d) const;
  Record selfguard_alert(const EventContext& ctx, const SelfGuardPayload& p) const;
  bool repeated_open(const ProcKey& actor, const SelfGuardPayload& p);

  EventProcessorSettings settings_;
  ProcessTable& processes_;
  OutputStage& output_;
  const BootClock& clock_;
  WorkloadResolver* workloads_;
  ExeHasher* exe_hashes_ = nullptr;
  std::function<void(NetDenialPayload&)> name_denial_;
  std::function<void(GuardDenialPayload&)> name_guard_denial_;
  std::function<void(const ProcessInfo&)> exec_watch_;
  std::function<void(SelfGuardPayload&)> name_selfguard_;
  std::optional<AiAudit> audit_;
  Counter* audit_records_ = nullptr;
  Counter* denial_alerts_ = nullptr;
  Counter* guard_denial_alerts_ = nullptr;
  Counter* selfguard_alerts_ = nullptr;
  std::unordered_set<ProcKey, ProcKeyHash> selfguard_openers_;  // processes already reported for an open
  const FieldRegistry& fields_;
  MetricsRegistry& metrics_;
  Counter& decode_errors_;
  void evaluate_rules(const EventContext& ctx);
  // An alert of a rule: its actions, the flood limit, the outputs.
  void raise(const rules::CompiledRule& rule, Record alert, const ProcKey& proc, uint64_t cgroup_id, uint64_t boot_ns);
  void raise_sequence_alerts();

  rules::RuleSetHandoff* rule_handoff_ = nullptr;
  rules::MatchMode match_mode_ = rules::MatchMode::kAll;
  std::optional<rules::RuleEvaluator> rules_;
  rules::SequenceSettings sequence_settings_;
  std::optional<rules::SequenceEngine> sequences_;
  std::vector<rules::SequenceAlert> sequence_alerts_;
  std::optional<rules::AlertLimiter> limiter_;
  std::optional<rules::Responder> responder_;
  QuarantineAction quarantine_;
  Counter* alerts_ = nullptr;
  Gauge* rules_loaded_ = nullptr;
  std::array<Counter*, 256> events_by_type_{};  // by EventType value, created on first sight
  // The output fields of each event type, resolved on first sight.
  mutable std::array<std::optional<FieldSelection>, 256> output_selection_;
  // Learnt from the dns events this processor sees, read by net.dns.names.
  dns::NameTable dns_names_;
  CausalChains chains_;
  // Turns stream data into events; its counters are mirrored into metrics after each call.
  ConversationTracker conversations_;
  DataDecoder data_decoder_;
  std::vector<Event> decoded_;
  TrackerStats published_;
  uint64_t next_expiry_ns_ = 0;
  void publish_decoded();
};

// The fields an event record lists, per event type.
const std::vector<std::string>& event_output_fields(EventType type);

}  // namespace ztai
