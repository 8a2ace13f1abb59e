// The event processor evaluates the handed-off rule set after each process table update.
#include <gtest/gtest.h>

#include "agent/pipeline/event_processor.h"
#include "tests/unit/pipeline/pipeline_harness.h"

namespace ztai {
namespace {

using testing::PipelineHarness;

const char* kEchoRule = R"(
- rule: Echo run
  desc: d
  condition: evt.type = execve and proc.name = echo
  output: echo ran (cmd=%proc.cmdline parent=%proc.pname)
  priority: NOTICE
  tags: [test]
)";

Event exec_event(ProcKey key, ProcKey parent, uint64_t t, std::string file, std::vector<std::string> argv) {
  ExecPayload e;
  e.parent = parent;
  e.filename = std::move(file);
  e.argv = std::move(argv);
  return Event{EventHeader{EventType::kExec, t, key.tgid, 0, key, 5}, e};
}

TEST(EventProcessorRules, AlertsCarryTheRenderedOutputAndFieldsAndReloadsSwapBetweenEvents) {
  PipelineHarness h(false);
  h.use_rules(kEchoRule);

  ProcKey shell{10, 100}, echo{11, 200}, echo2{12, 300};
  h.proc.on_event(exec_event(shell, {}, 1, "/bin/bash", {"bash"}));
  h.proc.on_event(exec_event(echo, shell, 2, "/bin/echo", {"/bin/echo", "hello"}));
  // A reload: the next event is evaluated against the new set only.
  h.reload(std::string(kEchoRule) + "- rule: Echo run\n  enabled: false\n");
  h.proc.on_event(exec_event(echo2, shell, 3, "/bin/echo", {"/bin/echo", "again"}));
  h.finish();

  ASSERT_EQ(h.records.size(), 1u) << "events are not emitted, the second echo ran after the rule was disabled";
  const Record& a = h.records[0];
  EXPECT_EQ(a.kind, RecordKind::kAlert);
  EXPECT_EQ(a.rule, "Echo run");
  EXPECT_EQ(a.priority, Priority::kNotice);
  EXPECT_EQ(a.time_unix_ns, 2u);
  EXPECT_EQ(a.hostname, "host");
  EXPECT_EQ(a.output, "echo ran (cmd=echo hello parent=bash)");
  ASSERT_EQ(a.fields.size(), 4u);
  EXPECT_EQ(a.fields[0], (std::pair<std::string, FieldValue>{"proc.cmdline", std::string("echo hello")}));
  EXPECT_EQ(a.fields[3], (std::pair<std::string, FieldValue>{"proc.name", std::string("echo")}));
  EXPECT_EQ(h.metrics.value("ztai_alerts_total"), 1);
  EXPECT_EQ(h.metrics.value("ztai_rules_loaded"), 1);
}

// A sequence rule: stateless rules alert at once; the sequence alert comes once the reorder
// window has passed (on a later event or a tick), in time order even when the steps arrive swapped.
TEST(EventProcessorRules, SequenceAlertsWaitForTheReorderWindowAndFollowKernelTime) {
  PipelineHarness h(false);
  h.use_rules(std::string(kEchoRule) + R"(
- rule: Bash then echo
  desc: d
  sequence:
    by: workload
    within: 10s
    steps:
      - condition: evt.type = execve and proc.name = bash
      - condition: evt.type = execve and proc.name = echo
  output: "%seq.step[0].proc.name then %proc.cmdline"
  priority: WARNING
)");  // the default reorder window: 50 ms

  ProcKey shell{10, 100}, echo{11, 200};
  constexpr uint64_t kMs = 1'000'000;
  // The echo (1020 ms) is read before the bash exec that happened first (1000 ms).
  h.proc.on_event(exec_event(echo, {1, 1}, 1020 * kMs, "/bin/echo", {"/bin/echo", "hi"}));
  h.proc.on_event(exec_event(shell, {1, 1}, 1000 * kMs, "/bin/bash", {"bash"}));
  h.proc.tick(1060 * kMs);  // the window has passed for the bash exec, not yet for the echo
  EXPECT_EQ(h.metrics.value("ztai_sequence_completed_total"), 0);
  h.proc.tick(1071 * kMs);
  h.finish();
  ASSERT_EQ(h.records.size(), 2u);
  EXPECT_EQ(h.records[0].rule, "Echo run");
  EXPECT_EQ(h.records[1].rule, "Bash then echo");
  EXPECT_EQ(h.records[1].output, "bash then echo hi");
  EXPECT_EQ(h.records[1].time_unix_ns, 1020 * kMs);
  EXPECT_EQ(h.metrics.value("ztai_sequence_completed_total"), 1);
  EXPECT_EQ(h.metrics.value("ztai_alerts_total"), 2);
}

TEST(EventProcessorRules, WithEventsOnTheAlertComesBeforeTheEvent) {
  PipelineHarness h(true);
  h.use_rules(kEchoRule);
  h.proc.on_event(exec_event({11, 200}, {}, 1, "/bin/echo", {"echo"}));
  h.finish();
  ASSERT_EQ(h.records.size(), 2u);
  EXPECT_EQ(h.records[0].kind, RecordKind::kAlert);
  EXPECT_EQ(h.records[1].kind, RecordKind::kEvent);
}

TEST(EventProcessorRules, AlertFloodsFromOneProcessAreLimited) {
  PipelineHarness h(false);
  h.use_rules(kEchoRule, {2, 1'000'000'000});
  // A loop in one workload that starts a new echo each time, then one in another workload.
  for (uint32_t i = 1; i <= 12; ++i) h.proc.on_event(exec_event({100 + i, i}, {}, i, "/bin/echo", {"echo"}));
  Event elsewhere = exec_event({200, 1}, {}, 13, "/bin/echo", {"echo"});
  elsewhere.hdr.cgroup_id = 6;
  h.proc.on_event(elsewhere);
  h.proc.on_event(exec_event({300, 1}, {}, 2'000'000'000, "/bin/echo", {"echo"}));
  h.finish();
  ASSERT_EQ(h.records.size(), 4u);
  EXPECT_EQ(h.records[3].output, "echo ran (cmd=echo parent=<NA>) (10 similar alerts suppressed)");
  EXPECT_EQ(h.metrics.value("ztai_alerts_suppressed_total"), 10);
  EXPECT_EQ(h.metrics.value("ztai_alerts_total"), 4);
}

TEST(EventProcessorRules, TheQuarantineActionGoesToTheDeskAndIsRefusedWithoutOne) {
  for (bool with_desk : {false, true}) {
    PipelineHarness h(false);
    h.use_rules(std::string(kEchoRule) + "  actions: [quarantine]\n");
    std::vector<std::tuple<std::string, uint64_t, uint32_t>> asked;
    if (with_desk) {
      h.proc.use_quarantine([&](const std::string& name, uint64_t cgroup_id, const ProcKey& process) {
        asked.emplace_back(name, cgroup_id, process.tgid);
        return rules::ActionOutcome{true, "quarantined /w"};
      });
    }
    h.proc.on_event(exec_event({11, 200}, {}, 2, "/bin/echo", {"/bin/echo", "hello"}));
    h.finish();
    ASSERT_EQ(h.records.size(), 1u);
    auto field = [&](const std::string& name) {
      for (const auto& [n, v] : h.records[0].fields) {
        if (n == name) return std::get<std::string>(v);
      }
      return std::string("<absent>");
    };
    EXPECT_EQ(field("ztai.action"), "quarantine");
    if (with_desk) {
      EXPECT_EQ(field("ztai.action_result"), "quarantined /w");
      EXPECT_EQ(asked, (std::vector<std::tuple<std::string, uint64_t, uint32_t>>{{"Echo run", 5, 11}}));
    } else {
      EXPECT_NE(field("ztai.action_result").find("refused: quarantine needs network enforcement"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ztai
