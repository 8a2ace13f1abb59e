// A self-protection event becomes an alert whatever the rules say, naming the agent's object and
// the actor, with the selfguard.* fields; its priority says how grave: tampering is critical, an
// orderly SIGTERM a notice; a link found detached by the agent's check names no actor; a process
// listing the agent's objects is reported once, not once per object.
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <signal.h>

#include "tests/unit/pipeline/pipeline_harness.h"

namespace ztai {
namespace {

using testing::PipelineHarness;
using testing::record_field;

Event selfguard(uint32_t actor, SelfGuardPayload p) {
  return Event{EventHeader{EventType::kSelfGuard, 7, actor, 0, ProcKey{actor, actor ? 9u : 0u}, 5}, std::move(p)};
}

TEST(EventProcessorSelfGuard, EachEventIsAnAlertWithoutAnyRule) {
  PipelineHarness h(false);
  EventProcessor& proc = h.proc;
  proc.use_selfguard_names([](SelfGuardPayload& p) {
    if (p.object == SelfGuardObject::kMap && p.object_id == 57) p.object_name = "net_skip";
  });

  SelfGuardPayload write;
  write.action = SelfGuardAction::kMapWrite;
  write.object = SelfGuardObject::kMap;
  write.object_id = 57;
  write.target_tgid = 100;
  write.command = BPF_MAP_UPDATE_ELEM;
  proc.on_event(selfguard(4242, write));
  SelfGuardPayload term;
  term.action = SelfGuardAction::kSignal;
  term.target_tgid = 100;
  term.command = SIGTERM;
  proc.on_event(selfguard(1, term));
  SelfGuardPayload kill = term;
  kill.command = SIGKILL;
  proc.on_event(selfguard(4242, kill));
  SelfGuardPayload detached;
  detached.action = SelfGuardAction::kLinkDetached;
  detached.object = SelfGuardObject::kLink;
  detached.object_id = 12;
  detached.object_name = "egress_connect4";
  detached.target_tgid = 100;
  proc.on_event(selfguard(0, detached));
  SelfGuardPayload open;
  open.action = SelfGuardAction::kObjectOpen;
  open.object = SelfGuardObject::kProg;
  open.target_tgid = 100;
  open.command = BPF_PROG_GET_FD_BY_ID;
  for (uint32_t id = 1; id <= 3; ++id) {
    open.object_id = id;
    proc.on_event(selfguard(5000, open));  // a listing: one alert for the process
  }
  proc.on_event(selfguard(5001, open));
  h.finish();
  const std::vector<Record>& records = h.records;

  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(record_field(records[4], "selfguard.action"), FieldValue(std::string("object_open")));
  EXPECT_EQ(records[4].priority, Priority::kNotice);
  EXPECT_EQ(record_field(records[4], "proc.pid"), FieldValue(uint64_t{5000}));
  EXPECT_EQ(record_field(records[5], "proc.pid"), FieldValue(uint64_t{5001}));
  EXPECT_EQ(h.metrics.value("ztai_selfguard_repeated_opens_total"), 2);
  const Record& r = records[0];
  EXPECT_EQ(r.kind, RecordKind::kAlert);
  EXPECT_EQ(r.rule, "Agent self-protection");
  EXPECT_EQ(r.priority, Priority::kCritical);
  EXPECT_EQ(r.source, "selfguard");
  EXPECT_EQ(record_field(r, "evt.type"), FieldValue(std::string("selfguard")));
  EXPECT_EQ(record_field(r, "selfguard.action"), FieldValue(std::string("map_write")));
  EXPECT_EQ(record_field(r, "selfguard.target"), FieldValue(std::string("map net_skip (id 57)")));
  EXPECT_EQ(record_field(r, "selfguard.command"), FieldValue(std::string("BPF_MAP_UPDATE_ELEM")));
  EXPECT_EQ(record_field(r, "selfguard.object_id"), FieldValue(uint64_t{57}));
  EXPECT_EQ(record_field(r, "selfguard.signal_code"), FieldValue());
  EXPECT_EQ(record_field(r, "proc.pid"), FieldValue(uint64_t{4242}));
  EXPECT_NE(r.output.find("map_write BPF_MAP_UPDATE_ELEM on map net_skip (id 57) by pid=4242"), std::string::npos)
      << r.output;

  EXPECT_EQ(records[1].priority, Priority::kNotice) << "SIGTERM from the service manager: an orderly stop";
  EXPECT_EQ(record_field(records[1], "selfguard.command"), FieldValue(std::string("SIGTERM")));
  EXPECT_EQ(record_field(records[1], "selfguard.target"), FieldValue(std::string("pid 100")));
  EXPECT_EQ(record_field(records[1], "selfguard.signal_code"), FieldValue(int64_t{0}));
  EXPECT_EQ(records[2].priority, Priority::kWarning);
  EXPECT_EQ(records[3].priority, Priority::kCritical);
  EXPECT_NE(records[3].output.find("link_detached link egress_connect4 (id 12) found by the agent's check"),
            std::string::npos)
      << records[3].output;
  EXPECT_EQ(h.metrics.value("ztai_selfguard_alerts_total"), 6);
}

}  // namespace
}  // namespace ztai
