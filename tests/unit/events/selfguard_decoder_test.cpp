// Self-protection records: every field decoded, the calls and targets named as the alert prints
// them, and records with an unknown action or object kind, or cut short, refused.
#include "agent/events/decoder.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <signal.h>

#include <cstring>
#include <vector>

#include "bpf/abi/selfguard.h"

namespace ztai {
namespace {

std::vector<std::byte> record(const ztai_selfguard_event& ev) {
  std::vector<std::byte> out(sizeof(ev));
  std::memcpy(out.data(), &ev, sizeof(ev));
  return out;
}

ztai_selfguard_event map_write() {
  ztai_selfguard_event ev{};
  ev.hdr.type = ZTAI_EVENT_SELFGUARD;
  ev.hdr.size = sizeof(ev);
  ev.hdr.proc.tgid = 4242;
  ev.action = ZTAI_SELFGUARD_MAP_WRITE;
  ev.object = ZTAI_SELFGUARD_MAP;
  ev.target_tgid = 77;
  ev.object_id = 57;
  ev.command = BPF_MAP_UPDATE_ELEM;
  return ev;
}

TEST(SelfGuardDecoder, EveryFieldOfAMapWrite) {
  auto e = decode_record(record(map_write()));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->hdr.type, EventType::kSelfGuard);
  EXPECT_EQ(event_type_name(e->hdr.type), "selfguard");
  EXPECT_EQ(e->hdr.proc.tgid, 4242u);
  const SelfGuardPayload* p = e->as<SelfGuardPayload>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->action, SelfGuardAction::kMapWrite);
  EXPECT_EQ(p->object, SelfGuardObject::kMap);
  EXPECT_EQ(p->target_tgid, 77u);
  EXPECT_EQ(p->object_id, 57u);
  EXPECT_EQ(selfguard_action_name(p->action), "map_write");
  EXPECT_EQ(selfguard_command_name(*p), "BPF_MAP_UPDATE_ELEM");
  EXPECT_EQ(selfguard_target(*p), "map 57");
  SelfGuardPayload named = *p;
  named.object_name = "net_skip";
  EXPECT_EQ(selfguard_target(named), "map net_skip (id 57)");
}

TEST(SelfGuardDecoder, SignalsAndPtraceAreNamed) {
  ztai_selfguard_event ev = map_write();
  ev.action = ZTAI_SELFGUARD_SIGNAL;
  ev.object = 0;
  ev.object_id = 0;
  ev.command = SIGTERM;
  ev.signal_code = 0;
  ev.signal_result = 1;
  auto e = decode_record(record(ev));
  ASSERT_TRUE(e) << e.error().message();
  const SelfGuardPayload* p = e->as<SelfGuardPayload>();
  EXPECT_EQ(selfguard_command_name(*p), "SIGTERM");
  EXPECT_EQ(selfguard_target(*p), "pid 77");
  EXPECT_EQ(p->signal_result, 1);
  SelfGuardPayload rt = *p;
  rt.command = 40;
  EXPECT_EQ(selfguard_command_name(rt), "signal 40");

  ev.action = ZTAI_SELFGUARD_PTRACE;
  ev.command = 0x4206;
  auto t = decode_record(record(ev));
  ASSERT_TRUE(t);
  EXPECT_EQ(selfguard_command_name(*t->as<SelfGuardPayload>()), "PTRACE_SEIZE");
  EXPECT_EQ(selfguard_action_name(t->as<SelfGuardPayload>()->action), "ptrace");
}

TEST(SelfGuardDecoder, LyingRecordsAreRefused) {
  ztai_selfguard_event ev = map_write();
  ev.action = ZTAI_SELFGUARD_ACTION_MAX;
  EXPECT_FALSE(decode_record(record(ev)));
  ev = map_write();
  ev.action = 0;
  EXPECT_FALSE(decode_record(record(ev)));
  ev = map_write();
  ev.object = ZTAI_SELFGUARD_LINK + 1;
  auto bad = decode_record(record(ev));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("object kind"), std::string::npos);
  ev = map_write();
  ev.hdr.size = sizeof(ev) - 8;
  std::vector<std::byte> shortened = record(ev);
  shortened.resize(sizeof(ev) - 8);
  EXPECT_FALSE(decode_record(shortened));
}

}  // namespace
}  // namespace ztai
