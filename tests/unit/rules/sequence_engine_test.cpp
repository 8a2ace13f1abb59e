#include "agent/rules/sequence_engine.h"

#include <gtest/gtest.h>

#include "agent/rules/quantity.h"
#include "agent/rules/reorder_buffer.h"
#include "tests/unit/rules/rule_test_support.h"

namespace ztai::rules {
namespace {

using testing::all_text;
using testing::compile_text;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1'000'000'000;

// Feeds events to a rule set as `ztai run` does: the stateless pass, then the sequence stage.
class Feeder {
 public:
  explicit Feeder(std::shared_ptr<const RuleSet> rules, SequenceSettings settings = {})
      : rules_(std::move(rules)), eval_(rules_, MatchMode::kAll), engine_(rules_, settings, metrics, table, clock, "h") {}

  // Applies an event of pid (cgroup cg) at time t; returns the sequence alerts released by it.
  std::vector<SequenceAlert> feed(Event e, uint64_t t, uint64_t cg = 7) {
    e.hdr.boot_ns = t;
    e.hdr.cgroup_id = cg;
    events_.push_back(std::make_unique<Event>(std::move(e)));
    const ProcessInfo* p = table.apply(*events_.back());
    EventContext ctx{*events_.back(), p, table, clock};
    eval_.evaluate(ctx);
    std::vector<SequenceAlert> out;
    engine_.push(eval_.observations(), t, out);
    return out;
  }
  std::vector<SequenceAlert> flush() {
    std::vector<SequenceAlert> out;
    engine_.flush(out);
    return out;
  }

  Event exec(uint32_t pid, uint32_t ppid, std::string exe) {
    ExecPayload x;
    x.parent = key(ppid);
    x.filename = exe;
    x.argv = {basename_of(exe)};
    return Event{EventHeader{EventType::kExec, 0, pid, 0, key(pid), 0}, x};
  }
  Event fork(uint32_t pid, uint32_t child) {
    ProcKey c{child, 5000 + child};
    return Event{EventHeader{EventType::kFork, 0, pid, 0, key(pid), 0}, ForkPayload{c, key(pid), 0, child}};
  }
  Event open(uint32_t pid, std::string path) {
    FilePayload f;
    f.path = std::move(path);
    f.res = 3;
    return Event{EventHeader{EventType::kOpenat, 0, pid, 0, key(pid), 0}, f};
  }
  Event close(uint32_t pid, uint64_t bytes_out) {
    NetPayload n;
    n.proto = 6;
    n.daddr = *IpAddress::parse("203.0.113.9");
    n.dport = 443;
    n.bytes_out = bytes_out;
    return Event{EventHeader{EventType::kTcpClose, 0, pid, 0, key(pid), 0}, n};
  }
  static ProcKey key(uint32_t pid) { return ProcKey{pid, pid < 5000 ? 1000u + pid : 0}; }

  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};

 private:
  std::shared_ptr<const RuleSet> rules_;
  RuleEvaluator eval_;
  SequenceEngine engine_;
  std::vector<std::unique_ptr<Event>> events_;
};

std::shared_ptr<const RuleSet> compile_ok(const std::string& yaml) {
  auto c = compile_text(yaml);
  EXPECT_TRUE(c.rules) << all_text(c.diags);
  return c.rules;
}

const char* kReadThenEgress = R"(
- rule: Read then egress
  desc: d
  sequence:
    by: workload
    within: 60s
    steps:
      - condition: evt.type = openat and fd.name endswith .gguf
      - condition: evt.type = tcp_close
        sum: net.bytes_out
        at_least: 100MB
  output: "read %seq.step[0].fd.name by %seq.step[0].proc.name then %seq.sum bytes in %seq.count by %proc.name"
  priority: WARNING
)";

TEST(SequenceRules, StepsInOrderWithinTheWindowAlertOnceWithEveryStepsFields) {
  Feeder f(compile_ok(kReadThenEgress));
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  f.feed(f.exec(11, 1, "/usr/bin/curl"), 2 * kMs);
  EXPECT_TRUE(f.feed(f.close(11, 500'000'000), 3 * kMs).empty());  // before the read: not counted
  f.feed(f.open(10, "/models/m.gguf"), 1 * kS);
  f.feed(f.close(11, 60'000'000), 10 * kS);
  f.feed(f.close(11, 50'000'000), 20 * kS);
  auto alerts = f.feed(f.exec(12, 1, "/bin/true"), 21 * kS);  // time moves on: the step leaves the window
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert.output, "read /models/m.gguf by cp then 110000000 bytes in 2 by curl");
  EXPECT_EQ(alerts[0].boot_ns, 20 * kS);
  EXPECT_EQ(alerts[0].proc.tgid, 11u);
  bool has_step_field = false;
  for (const auto& [name, v] : alerts[0].alert.fields) has_step_field |= name == "seq.step[0].fd.name";
  EXPECT_TRUE(has_step_field);
  // Completed: more egress needs a new read.
  f.feed(f.close(11, 900'000'000), 30 * kS);
  EXPECT_TRUE(f.flush().empty());
}

TEST(SequenceRules, AStepOutsideTheWindowDoesNotComplete) {
  Feeder f(compile_ok(kReadThenEgress));
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  f.feed(f.open(10, "/models/m.gguf"), 1 * kS);
  f.feed(f.close(10, 60'000'000), 30 * kS);
  f.feed(f.close(10, 60'000'000), 62 * kS);  // 61 s after the read
  EXPECT_TRUE(f.flush().empty());
  EXPECT_EQ(f.metrics.counter("ztai_sequence_expired_total", "").value(), 1u);
}

TEST(SequenceRules, KeysSeparateWorkloads) {
  Feeder f(compile_ok(kReadThenEgress));
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  f.feed(f.open(10, "/models/m.gguf"), 1 * kS, 7);
  f.feed(f.close(10, 200'000'000), 2 * kS, 8);  // another cgroup
  EXPECT_TRUE(f.flush().empty());
}

TEST(SequenceRules, EventsAreAppliedInKernelTimeOrderWithinTheReorderWindow) {
  Feeder f(compile_ok(kReadThenEgress), SequenceSettings{.reorder_window_ns = 50 * kMs});
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  // The egress arrives first (another CPU, the other ring), though the read happened 20 ms before.
  EXPECT_TRUE(f.feed(f.close(10, 200'000'000), 5020 * kMs).empty());
  EXPECT_TRUE(f.feed(f.open(10, "/models/m.gguf"), 5000 * kMs).empty());
  auto alerts = f.feed(f.exec(12, 1, "/bin/true"), 5100 * kMs);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(f.metrics.counter("ztai_sequence_reorder_late_total", "").value(), 0u);
}

TEST(SequenceRules, WithoutAReorderWindowTheSameArrivalOrderMissesTheSequence) {
  Feeder f(compile_ok(kReadThenEgress), SequenceSettings{.reorder_window_ns = 0});
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  f.feed(f.close(10, 200'000'000), 5020 * kMs);
  f.feed(f.open(10, "/models/m.gguf"), 5000 * kMs);
  EXPECT_TRUE(f.flush().empty());
  EXPECT_EQ(f.metrics.counter("ztai_sequence_reorder_late_total", "").value(), 1u);
}

TEST(SequenceRules, CountThresholdSlidesOverTheWindow) {
  Feeder f(compile_ok(R"(
- rule: Exec burst
  desc: d
  sequence:
    by: process
    within: 10s
    steps:
      - condition: evt.type = execve
        count: 3
  output: "%seq.count execs in %seq.duration_ms ms, key %seq.by"
  priority: WARNING
)"));
  size_t alerts = 0;
  // Two execs, then a pause longer than the window: the count starts over.
  alerts += f.feed(f.exec(10, 1, "/bin/a"), 1 * kS).size();
  alerts += f.feed(f.exec(10, 1, "/bin/b"), 2 * kS).size();
  alerts += f.feed(f.exec(10, 1, "/bin/c"), 20 * kS).size();
  alerts += f.feed(f.exec(10, 1, "/bin/d"), 21 * kS).size();
  alerts += f.flush().size();
  EXPECT_EQ(alerts, 0u);
  auto third = f.feed(f.exec(10, 1, "/bin/e"), 22 * kS);
  auto rest = f.flush();
  third.insert(third.end(), rest.begin(), rest.end());
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].alert.output.substr(0, 8), "3 execs ");
  EXPECT_NE(third[0].alert.output.find("key process"), std::string::npos);
}

TEST(SequenceRules, ProcessTreeFollowsDescendantsOnly) {
  Feeder f(compile_ok(R"Y(
- rule: Load then exec
  desc: d
  sequence:
    by: process_tree
    within: 60s
    steps:
      - condition: evt.type = openat and fd.name endswith .pkl
      - condition: evt.type = execve and proc.name = sh
  output: "%seq.step[0].proc.name loaded %seq.step[0].fd.name, then %proc.name (parent %proc.pname)"
  priority: WARNING
)Y"));
  f.feed(f.exec(10, 1, "/usr/bin/python3"), 1 * kMs);
  f.feed(f.exec(20, 1, "/usr/bin/bash"), 2 * kMs);
  f.feed(f.open(10, "/tmp/model.pkl"), 1 * kS);
  f.feed(f.exec(20, 1, "/bin/sh"), 2 * kS);  // not a descendant of the loader
  EXPECT_TRUE(f.flush().empty());
  f.feed(f.fork(10, 11), 3 * kS);
  f.feed(f.exec(11, 10, "/bin/sh"), 4 * kS);
  auto alerts = f.flush();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert.output, "python3 loaded /tmp/model.pkl, then sh (parent python3)");
}

TEST(SequenceRules, StateIsCappedAndEvictionsCounted) {
  Feeder f(compile_ok(kReadThenEgress), SequenceSettings{.max_states = 2});
  f.feed(f.exec(10, 1, "/usr/bin/cp"), 1 * kMs);
  for (uint64_t cg = 100; cg < 105; ++cg) f.feed(f.open(10, "/models/m.gguf"), 1 * kS + cg, cg);
  f.flush();
  EXPECT_EQ(f.metrics.gauge("ztai_sequence_states", "").value(), 2);
  EXPECT_EQ(f.metrics.counter("ztai_sequence_states_evicted_total", "").value(), 3u);
  // The oldest keys were dropped: their egress no longer completes anything; the newest still does.
  EXPECT_TRUE(f.feed(f.close(10, 200'000'000), 2 * kS, 100).empty());
  f.feed(f.close(10, 200'000'000), 2 * kS + 1, 104);
  EXPECT_EQ(f.flush().size(), 1u);
}

TEST(SequenceRules, SequenceRulesAreNotStatelessMatchesButTheirFileStepsReachTheKernelFilter) {
  auto rules = compile_ok(kReadThenEgress);
  const CompiledRule& r = rules->rules()[0];
  ASSERT_TRUE(r.sequence);
  ASSERT_TRUE(r.file_paths);
  ASSERT_EQ(r.file_paths->size(), 1u);
  EXPECT_EQ((*r.file_paths)[0].value, ".gguf");
  EXPECT_FALSE(rules->candidates(EventType::kTcpClose).empty());
  testing::Host host;
  EXPECT_TRUE(host.matches(*rules).empty());
}

TEST(SequenceRules, BadConstructsNameTheirPlace) {
  auto c = compile_text(R"(- rule: A
  desc: d
  sequence:
    by: session
    within: 60s
    steps: [{condition: evt.type = execve}]
  output: o
  priority: WARNING
- rule: B
  desc: d
  sequence:
    within: forever
    steps: [{condition: evt.type = execve}]
  output: o
  priority: WARNING
- rule: C
  desc: d
  sequence:
    within: 1m
    steps:
      - condition: evt.type = execve
        sum: proc.name
        at_least: 10
  output: o
  priority: WARNING
- rule: D
  desc: d
  sequence:
    within: 1m
    steps:
      - condition: evt.type = execve
        count: 2
        sum: net.bytes_out
  output: o
  priority: WARNING
- rule: E
  desc: d
  sequence:
    within: 1m
    steps:
      - condition: evt.type = execve
  output: "%seq.step[3].proc.name"
  priority: WARNING
- rule: F
  desc: d
  condition: seq.count > 3
  output: o
  priority: WARNING
- rule: G
  desc: d
  condition: evt.type = execve
  sequence:
    within: 1m
    steps: [{condition: evt.type = execve}]
  output: o
  priority: WARNING
- rule: H
  desc: d
  sequence:
    within: 1m
    steps:
      - condition: evt.type = execve
      - condition: evt.type = execve
        at_least: 5
  output: o
  priority: WARNING
- rule: I
  desc: d
  condition: evt.type = execve
  output: "%seq.count"
  priority: WARNING
- rule: J
  desc: d
  sequence:
    within: 1m
    steps:
      - condition: evt.type = execve
      - condition: evt.type = execve and proc.nosuch = 1
  output: o
  priority: WARNING
)");
  EXPECT_FALSE(c.rules);
  std::string text = all_text(c.diags);
  for (const char* want : {
           "rules.yaml:4:9: rule A: sequence.by: 'session' is not workload, process_tree or process",
           "rules.yaml:12:13: rule B: sequence.within: expected a duration from 1ms to 24h",
           "rules.yaml:22:14: rule C: sequence.steps[0].sum: proc.name is a string; sum takes number fields",
           "rules.yaml:33:14: rule D: sequence.steps[0]: count and sum exclude each other",
           "rules.yaml:42:12: rule E: output: seq.step[3].proc.name: steps are numbered 0..0",
           "rules.yaml:46:14: rule F: seq.count is known only when a sequence completes",
           "rules.yaml:53:5: rule G: a rule has a condition or a sequence, not both",
           "rules.yaml:64:19: rule H: sequence.steps[1]: at_least needs sum",
           "rules.yaml:70:12: rule I: output: seq.count exists only in the output of a sequence rule",
           "rules.yaml:78:42: rule J: unknown field proc.nosuch",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << text;
  }
}

TEST(SequenceRules, DurationsAndAmounts) {
  EXPECT_EQ(parse_duration_ns("500ms"), 500 * kMs);
  EXPECT_EQ(parse_duration_ns("60s"), 60 * kS);
  EXPECT_EQ(parse_duration_ns("5m"), 300 * kS);
  EXPECT_EQ(parse_duration_ns("2"), 2 * kS);
  EXPECT_FALSE(parse_duration_ns("5 parsecs"));
  EXPECT_FALSE(parse_duration_ns("99999999999h"));
  EXPECT_EQ(parse_amount("100MB"), 100'000'000u);
  EXPECT_EQ(parse_amount("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_amount("200k"), 200'000u);
  EXPECT_EQ(parse_amount("42"), 42u);
  EXPECT_FALSE(parse_amount("-1"));
  EXPECT_FALSE(parse_amount("MB"));
}

struct Item {
  uint64_t boot_ns;
  uint64_t order;
};

TEST(ReorderBuffer, ReleasesInTimeOrderAfterTheWindowAndCountsLateItems) {
  ReorderBuffer<Item> buf(50, 100);
  std::vector<Item> out;
  buf.push({120, 1}, out);
  buf.push({100, 2}, out);
  buf.push({110, 3}, out);
  buf.release(149, out);
  EXPECT_TRUE(out.empty());
  buf.release(165, out);  // 100 and 110 are a window old
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].boot_ns, 100u);
  EXPECT_EQ(out[1].boot_ns, 110u);
  out.clear();
  buf.push({105, 4}, out);  // older than what left: at once, counted
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(buf.late(), 1u);
  out.clear();
  buf.flush(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].boot_ns, 120u);
}

TEST(ReorderBuffer, AFullBufferReleasesItsOldestEarly) {
  ReorderBuffer<Item> buf(1'000, 2);
  std::vector<Item> out;
  buf.push({30, 1}, out);
  buf.push({10, 2}, out);
  buf.push({20, 3}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].boot_ns, 10u);
  EXPECT_EQ(buf.forced(), 1u);
  EXPECT_EQ(buf.size(), 2u);
}

}  // namespace
}  // namespace ztai::rules
