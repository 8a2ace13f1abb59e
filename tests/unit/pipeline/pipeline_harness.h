// An EventProcessor wired the way `ztai run` wires it, with an output that keeps every record, for
// the pipeline tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/pipeline/event_processor.h"
#include "tests/support/capture_exporter.h"
#include "tests/unit/rules/rule_test_support.h"

namespace ztai::testing {

class PipelineHarness {
 public:
  // emit_events: every event becomes a record too, not only alerts.
  explicit PipelineHarness(bool emit_events)
      : output(capture(records), 100, metrics),
        table({}, "host", metrics),
        proc({emit_events, "host"}, table, output, clock, metrics) {}

  // Compiles the rule text (failing the test on any error) and has the processor evaluate it.
  void use_rules(const std::string& yaml, rules::AlertLimits limits = {}) {
    handoff.publish(compile(yaml));
    proc.use_rules(handoff, rules::MatchMode::kAll, limits, metrics);
  }
  // A reload: the next event is evaluated against this set only.
  void reload(const std::string& yaml) { handoff.publish(compile(yaml)); }

  // Drains the output: afterwards `records` holds everything the processor emitted.
  void finish() { output.stop(); }

  static std::shared_ptr<const rules::RuleSet> compile(const std::string& yaml) {
    auto compiled = rules::testing::compile_text(yaml, "t.yaml");
    EXPECT_TRUE(compiled.rules) << compiled.diags.errors_text();
    return compiled.rules;
  }

  MetricsRegistry metrics;
  std::vector<Record> records;
  OutputStage output;
  ProcessTable table;
  BootClock clock{0};
  EventProcessor proc;
  rules::RuleSetHandoff handoff;

 private:
  static std::vector<std::unique_ptr<Exporter>> capture(std::vector<Record>& into) {
    std::vector<std::unique_ptr<Exporter>> exporters;
    exporters.push_back(std::make_unique<CaptureExporter>(into));
    return exporters;
  }
};

}  // namespace ztai::testing
