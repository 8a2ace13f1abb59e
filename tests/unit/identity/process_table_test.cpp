#include "agent/identity/process_table.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

Event exec_event(ProcKey who, ProcKey parent, std::string filename, std::vector<std::string> argv,
                 uint64_t t = 0) {
  ExecPayload p;
  p.parent = parent;
  p.filename = std::move(filename);
  p.argv = std::move(argv);
  p.uid = 1000;
  return Event{EventHeader{EventType::kExec, t, who.tgid, 0, who, 42}, p};
}

Event fork_event(ProcKey forker, ProcKey child, uint64_t t = 0) {
  return Event{EventHeader{EventType::kFork, t, forker.tgid, 0, forker, 42}, ForkPayload{child, forker, 43, child.tgid}};
}

Event exit_event(ProcKey who, uint32_t status, uint64_t t) {
  return Event{EventHeader{EventType::kExit, t, who.tgid, 0, who, 42}, ExitPayload{status}};
}

class ProcessTableTest : public ::testing::Test {
 protected:
  MetricsRegistry metrics;
  ProcessTable table{{/*max_processes=*/100, /*exited_grace_ns=*/5 * kSecond}, "host-a", metrics};
  ProcKey init{1, 1}, shell{10, 100}, child{11, 200}, grandchild{12, 300};
};

TEST_F(ProcessTableTest, ForkCopiesTheImageAndExecReplacesIt) {
  table.apply(exec_event(init, {}, "/sbin/init", {"/sbin/init"}));
  table.apply(fork_event(init, shell));
  table.apply(exec_event(shell, init, "/bin/bash", {"bash", "-l"}));
  const ProcessInfo* forker = table.apply(fork_event(shell, child));
  ASSERT_NE(forker, nullptr);
  EXPECT_EQ(forker->key, shell);

  const ProcessInfo* c = table.find(child);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "bash");
  EXPECT_EQ(c->argv, (std::vector<std::string>{"bash", "-l"}));
  EXPECT_EQ(c->parent, shell);
  EXPECT_EQ(c->cgroup_id, 43u);  // the child's own cgroup from the fork record

  const ProcessInfo* after = table.apply(exec_event(child, shell, "/bin/echo", {"/bin/echo", "hello"}));
  EXPECT_EQ(after, table.find(child));
  EXPECT_EQ(after->name, "echo");
  EXPECT_EQ(after->exe_path, "/bin/echo");
  EXPECT_EQ(after->uid, 1000u);
  EXPECT_EQ(after->exec_count, 1u);
}

TEST_F(ProcessTableTest, PostureComesWithExecAndIsInheritedAtFork) {
  Event e = exec_event(shell, init, "/bin/bash", {"bash"});
  std::get<ExecPayload>(e.payload).posture = {.cap_effective = 0x20, .seccomp = 2, .no_new_privs = true};
  table.apply(e);
  table.apply(fork_event(shell, child));
  const ProcessInfo* c = table.find(child);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->posture);
  EXPECT_EQ(c->posture->cap_effective, 0x20u);
  EXPECT_TRUE(c->posture->no_new_privs);

  const ProcessInfo* after = table.apply(exec_event(child, shell, "/bin/true", {"true"}));
  ASSERT_TRUE(after->posture);
  EXPECT_EQ(*after->posture, Posture{}) << "the new image's posture replaces the inherited one";
}

TEST_F(ProcessTableTest, LineageWalksUpToInit) {
  table.apply(exec_event(init, {}, "/sbin/init", {"/sbin/init"}));
  table.apply(fork_event(init, shell));
  table.apply(exec_event(shell, init, "/bin/bash", {"bash"}));
  table.apply(fork_event(shell, child));
  table.apply(exec_event(child, shell, "/usr/bin/python3", {"python3"}));
  table.apply(fork_event(child, grandchild));
  table.apply(exec_event(grandchild, child, "/bin/sh", {"sh"}));
  auto chain = table.ancestors(*table.find(grandchild), 10);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0]->name, "python3");
  EXPECT_EQ(chain[1]->name, "bash");
  EXPECT_EQ(chain[2]->name, "init");
  EXPECT_EQ(table.ancestors(*table.find(grandchild), 2).size(), 2u);
}

TEST_F(ProcessTableTest, ExecIdIsStableAndDistinctPerHostAndKey) {
  table.apply(exec_event(shell, init, "/bin/bash", {"bash"}));
  std::string id = table.find(shell)->exec_id;
  table.apply(exec_event(shell, init, "/bin/ls", {"ls"}));
  EXPECT_EQ(table.find(shell)->exec_id, id);  // same process key

  MetricsRegistry m2;
  ProcessTable other({}, "host-b", m2);
  other.apply(exec_event(shell, init, "/bin/bash", {"bash"}));
  EXPECT_NE(other.find(shell)->exec_id, id);
  table.apply(exec_event({10, 101}, init, "/bin/bash", {"bash"}));  // pid reused later
  EXPECT_NE(table.find({10, 101})->exec_id, id);
}

TEST_F(ProcessTableTest, ReusedPidGetsANewEntryAndRetiresTheOld) {
  table.apply(exec_event(shell, init, "/bin/bash", {"bash"}));
  ProcKey reused{10, 999};
  table.apply(exec_event(reused, init, "/bin/cat", {"cat"}));
  EXPECT_EQ(table.find_tgid(10)->key, reused);
  EXPECT_TRUE(table.find(shell)->exited);
}

TEST_F(ProcessTableTest, ExitedProcessesAreReapedAfterGraceUnlessTheyHaveChildren) {
  table.apply(exec_event(shell, init, "/bin/bash", {"bash"}));
  table.apply(fork_event(shell, child));
  table.apply(exit_event(shell, 0, 10 * kSecond));
  table.reap(12 * kSecond);
  ASSERT_NE(table.find(shell), nullptr);  // within grace
  EXPECT_EQ(table.find_tgid(10), nullptr);  // but no longer live

  table.reap(20 * kSecond);
  ASSERT_NE(table.find(shell), nullptr) << "kept for its child's lineage";
  EXPECT_EQ(table.ancestors(*table.find(child), 5).front()->key, shell);

  table.apply(exit_event(child, 0, 21 * kSecond));
  table.reap(30 * kSecond);
  EXPECT_EQ(table.find(child), nullptr);
  EXPECT_EQ(table.find(shell), nullptr) << "reaped once its last child went";
  EXPECT_EQ(metrics.value("ztai_process_table_reaped_total"), 2);
  EXPECT_EQ(metrics.value("ztai_process_table_entries"), static_cast<double>(table.size()));
}

TEST_F(ProcessTableTest, CapEvictsExitedFirstThenOldestAndCountsBoth) {
  for (uint32_t i = 0; i < 100; ++i) table.apply(exec_event({1000 + i, i + 1}, init, "/bin/x", {"x"}));
  EXPECT_EQ(table.size(), 100u);
  table.apply(exit_event({1050, 51}, 0, kSecond));
  table.apply(exec_event({5000, 1}, init, "/bin/new", {"new"}));
  EXPECT_EQ(table.size(), 100u);
  EXPECT_EQ(table.find({1050, 51}), nullptr) << "the exited one goes first";
  EXPECT_NE(table.find({1000, 1}), nullptr);
  table.apply(exec_event({5001, 1}, init, "/bin/new", {"new"}));
  EXPECT_EQ(table.find({1000, 1}), nullptr) << "then the oldest live one";
  EXPECT_EQ(metrics.value("ztai_process_table_evicted_total", {{"state", "exited"}}), 1);
  EXPECT_EQ(metrics.value("ztai_process_table_evicted_total", {{"state", "live"}}), 1);
}

TEST_F(ProcessTableTest, EventsForUnknownProcessesAreCountedAndStillTracked) {
  const ProcessInfo* p = table.apply(exec_event(child, shell, "/bin/true", {"true"}));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->origin, ProcessInfo::Origin::kExec);
  EXPECT_EQ(table.apply(exit_event(grandchild, 0, 1)), nullptr);
  EXPECT_EQ(metrics.value("ztai_process_table_unknown_total"), 2);
}

TEST_F(ProcessTableTest, BoundedUnderChurn) {
  // 10,000 short-lived processes through a table capped at 100: size never passes the cap.
  for (uint32_t i = 0; i < 10000; ++i) {
    ProcKey k{2000 + i, i};
    table.apply(fork_event(init, k, i * kSecond / 100));
    table.apply(exec_event(k, init, "/bin/true", {"true"}, i * kSecond / 100));
    table.apply(exit_event(k, 0, i * kSecond / 100));
    table.reap(i * kSecond / 100);
    ASSERT_LE(table.size(), 100u);
  }
}

}  // namespace
}  // namespace ztai
