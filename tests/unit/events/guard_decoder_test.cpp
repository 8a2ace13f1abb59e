// Denial records from the enforcement programs: every field, the path cut at its length, and
// records that lie about their kind or path length are refused.
#include "agent/events/decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bpf/abi/guard.h"

namespace ztai {
namespace {

std::vector<std::byte> record(const ztai_guard_denial_event& ev) {
  std::vector<std::byte> out(sizeof(ev));
  std::memcpy(out.data(), &ev, sizeof(ev));
  return out;
}

ztai_guard_denial_event exec_denial() {
  ztai_guard_denial_event ev{};
  ev.hdr.type = ZTAI_EVENT_GUARD_DENIAL;
  ev.hdr.size = sizeof(ev);
  ev.hdr.proc.tgid = 42;
  ev.hdr.cgroup_id = 9;
  ev.workload_cgroup_id = 7;
  ev.ino = 1234;
  ev.dev = (8 << 20) | 1;
  ev.policy_id = 3;
  ev.rule_id = 5;
  ev.kind = ZTAI_GUARD_KIND_EXEC;
  ev.flags = ZTAI_DENIAL_AUDIT;
  std::strcpy(ev.path, "/usr/bin/id");
  ev.path_len = sizeof("/usr/bin/id");
  return ev;
}

TEST(GuardDecoder, EveryFieldOfAnExecDenial) {
  auto e = decode_record(record(exec_denial()));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->hdr.type, EventType::kGuardDenial);
  EXPECT_EQ(event_type_name(e->hdr.type), "policy_denial");
  const GuardDenialPayload* d = e->as<GuardDenialPayload>();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DenialKind::kExec);
  EXPECT_TRUE(d->audit);
  EXPECT_FALSE(d->kill_failed);
  EXPECT_EQ(d->workload_cgroup_id, 7u);
  EXPECT_EQ(d->ino, 1234u);
  EXPECT_EQ(d->dev, (8u << 20) | 1);
  EXPECT_EQ(d->policy_id, 3u);
  EXPECT_EQ(d->rule_id, 5u);
  EXPECT_EQ(d->path, "/usr/bin/id");
  EXPECT_EQ(denial_kind_name(d->kind), "exec");
}

TEST(GuardDecoder, APathWithoutItsNulStopsAtItsLength) {
  ztai_guard_denial_event ev = exec_denial();
  std::memset(ev.path, 'a', sizeof(ev.path));
  ev.path_len = 5;
  auto e = decode_record(record(ev));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->as<GuardDenialPayload>()->path, "aaaaa");
}

TEST(GuardDecoder, LyingRecordsAreRefused) {
  ztai_guard_denial_event ev = exec_denial();
  ev.kind = 99;
  EXPECT_FALSE(decode_record(record(ev)));
  ev = exec_denial();
  ev.path_len = sizeof(ev.path) + 1;
  EXPECT_FALSE(decode_record(record(ev)));
  ev = exec_denial();
  auto bytes = record(ev);
  bytes.resize(sizeof(ev) - 8);
  reinterpret_cast<ztai_event_header*>(bytes.data())->size = static_cast<uint32_t>(bytes.size());
  EXPECT_FALSE(decode_record(bytes));
}

}  // namespace
}  // namespace ztai
