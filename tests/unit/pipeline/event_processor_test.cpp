#include "agent/pipeline/event_processor.h"
#include "tests/unit/pipeline/pipeline_harness.h"

#include <gtest/gtest.h>

#include <mutex>

namespace ztai {
namespace {

using testing::PipelineHarness;
using testing::record_field;


TEST(EventProcessor, UpdatesTheTableAndEmitsEventRecords) {
  PipelineHarness h(true);

  ProcKey shell{10, 100}, echo{11, 200};
  ExecPayload sh;
  sh.filename = "/bin/bash";
  sh.argv = {"bash"};
  h.proc.on_event(Event{EventHeader{EventType::kExec, 1, 10, 0, shell, 5}, sh});
  h.proc.on_event(Event{EventHeader{EventType::kFork, 2, 10, 0, shell, 5}, ForkPayload{echo, shell, 5, 11}});
  ExecPayload e;
  e.parent = shell;
  e.filename = "/bin/echo";
  e.argv = {"/bin/echo", "hello"};
  h.proc.on_event(Event{EventHeader{EventType::kExec, 3, 11, 0, echo, 5}, e});
  h.proc.on_event(Event{EventHeader{EventType::kExit, 4, 11, 0, echo, 5}, ExitPayload{3 << 8}});
  std::vector<std::byte> garbage(7);
  h.proc.on_record(garbage);
  h.finish();

  ASSERT_EQ(h.records.size(), 4u);
  const Record& exec = h.records[2];
  EXPECT_EQ(exec.kind, RecordKind::kEvent);
  EXPECT_EQ(exec.source, "syscall");
  EXPECT_EQ(exec.hostname, "host");
  EXPECT_EQ(exec.time_unix_ns, 3u);
  EXPECT_EQ(record_field(exec, "proc.argv"), FieldValue(std::vector<std::string>{"/bin/echo", "hello"}));
  EXPECT_EQ(record_field(exec, "proc.pname"), FieldValue(std::string("bash")));
  EXPECT_EQ(record_field(exec, "proc.ppid"), FieldValue(uint64_t{10}));
  EXPECT_NE(exec.output.find("execve pid=11 exe=/bin/echo parent=bash"), std::string::npos) << exec.output;
  EXPECT_EQ(record_field(h.records[1], "evt.arg.child_pid"), FieldValue(uint64_t{11}));
  EXPECT_EQ(record_field(h.records[3], "proc.exit_code"), FieldValue(int64_t{3}));
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "execve"}}), 2);
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "procexit"}}), 1);
  EXPECT_EQ(h.metrics.value("ztai_decode_errors_total"), 1);
}

TEST(EventProcessor, WithoutEventsNothingIsEmittedButTheTableIsKept) {
  PipelineHarness h(false);
  ExecPayload e;
  e.filename = "/bin/true";
  h.proc.on_event(Event{EventHeader{EventType::kExec, 1, 5, 0, {5, 1}, 0}, e});
  h.finish();
  EXPECT_TRUE(h.records.empty());
  EXPECT_NE(h.table.find({5, 1}), nullptr);
}

}  // namespace
}  // namespace ztai
