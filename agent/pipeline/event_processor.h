// Turns raw kernel records into typed events and acts on them: updates the process table,
// and (with --events) sends each event to the outputs. Runs on the reader thread.
#pragma once

#include <array>
#include <string>

#include "agent/common/clock.h"
#include "agent/fields/field_registry.h"
#include "agent/identity/process_table.h"
#include "agent/kernel/ring_reader.h"
#include "agent/pipeline/metrics.h"
#include "agent/pipeline/output_stage.h"

namespace ztai {

struct EventProcessorSettings {
  bool emit_events = false;
  std::string hostname;
};

class EventProcessor : public RecordSink {
 public:
  EventProcessor(EventProcessorSettings settings, ProcessTable& processes, OutputStage& output,
                 const BootClock& clock, MetricsRegistry& metrics);

  void on_record(std::span<const std::byte> record) override;
  // The same, for an event that is already decoded (tests, replays).
  void on_event(const Event& event);

 private:
  Record event_record(const EventContext& ctx) const;

  EventProcessorSettings settings_;
  ProcessTable& processes_;
  OutputStage& output_;
  const BootClock& clock_;
  const FieldRegistry& fields_;
  Counter& decode_errors_;
  std::array<Counter*, 4> events_by_type_{};
};

// The fields an event record lists, per event type.
const std::vector<std::string>& event_output_fields(EventType type);

}  // namespace ztai
