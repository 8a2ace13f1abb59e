#include "agent/pipeline/event_processor.h"
#include "tests/support/capture_exporter.h"

#include <gtest/gtest.h>

#include <mutex>

namespace ztai {
namespace {

using Capture = testing::CaptureExporter;
using testing::record_field;


TEST(EventProcessor, UpdatesTheTableAndEmitsEventRecords) {
  MetricsRegistry metrics;
  std::vector<Record> records;
  std::vector<std::unique_ptr<Exporter>> exporters;
  exporters.push_back(std::make_unique<Capture>(records));
  OutputStage output(std::move(exporters), 100, metrics);
  ProcessTable table({}, "host", metrics);
  BootClock clock(0);
  EventProcessor proc({true, "host"}, table, output, clock, metrics);

  ProcKey shell{10, 100}, echo{11, 200};
  ExecPayload sh;
  sh.filename = "/bin/bash";
  sh.argv = {"bash"};
  proc.on_event(Event{EventHeader{EventType::kExec, 1, 10, 0, shell, 5}, sh});
  proc.on_event(Event{EventHeader{EventType::kFork, 2, 10, 0, shell, 5}, ForkPayload{echo, shell, 5, 11}});
  ExecPayload e;
  e.parent = shell;
  e.filename = "/bin/echo";
  e.argv = {"/bin/echo", "hello"};
  proc.on_event(Event{EventHeader{EventType::kExec, 3, 11, 0, echo, 5}, e});
  proc.on_event(Event{EventHeader{EventType::kExit, 4, 11, 0, echo, 5}, ExitPayload{3 << 8}});
  std::vector<std::byte> garbage(7);
  proc.on_record(garbage);
  output.stop();

  ASSERT_EQ(records.size(), 4u);
  const Record& exec = records[2];
  EXPECT_EQ(exec.kind, RecordKind::kEvent);
  EXPECT_EQ(exec.source, "syscall");
  EXPECT_EQ(exec.hostname, "host");
  EXPECT_EQ(exec.time_unix_ns, 3u);
  EXPECT_EQ(record_field(exec, "proc.argv"), FieldValue(std::vector<std::string>{"/bin/echo", "hello"}));
  EXPECT_EQ(record_field(exec, "proc.pname"), FieldValue(std::string("bash")));
  EXPECT_EQ(record_field(exec, "proc.ppid"), FieldValue(uint64_t{10}));
  EXPECT_NE(exec.output.find("execve pid=11 exe=/bin/echo parent=bash"), std::string::npos) << exec.output;
  EXPECT_EQ(record_field(records[1], "evt.arg.child_pid"), FieldValue(uint64_t{11}));
  EXPECT_EQ(record_field(records[3], "proc.exit_code"), FieldValue(int64_t{3}));
  EXPECT_EQ(metrics.value("ztai_events_total", {{"type", "execve"}}), 2);
  EXPECT_EQ(metrics.value("ztai_events_total", {{"type", "procexit"}}), 1);
  EXPECT_EQ(metrics.value("ztai_decode_errors_total"), 1);
}

TEST(EventProcessor, WithoutEventsNothingIsEmittedButTheTableIsKept) {
  MetricsRegistry metrics;
  std::vector<Record> records;
  std::vector<std::unique_ptr<Exporter>> exporters;
  exporters.push_back(std::make_unique<Capture>(records));
  OutputStage output(std::move(exporters), 100, metrics);
  ProcessTable table({}, "host", metrics);
  BootClock clock(0);
  EventProcessor proc({false, "host"}, table, output, clock, metrics);
  ExecPayload e;
  e.filename = "/bin/true";
  proc.on_event(Event{EventHeader{EventType::kExec, 1, 5, 0, {5, 1}, 0}, e});
  output.stop();
  EXPECT_TRUE(records.empty());
  EXPECT_NE(table.find({5, 1}), nullptr);
}

}  // namespace
}  // namespace ztai
