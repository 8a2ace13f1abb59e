#include "agent/events/process_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "agent/events/decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

ztai_event_header header(uint16_t type, uint32_t size) {
  ztai_event_header h{};
  h.type = type;
  h.size = size;
  h.ktime_ns = 123456789;
  h.tid = 4243;
  h.cpu = 1;
  h.proc.tgid = 4242;
  h.proc.start_ticks = 777;
  h.cgroup_id = 99;
  return h;
}

std::vector<std::byte> exec_record(std::string_view filename, std::string_view args, uint32_t flags = 0) {
  std::vector<std::byte> buf(sizeof(ztai_exec_event) + filename.size() + args.size());
  ztai_exec_event ev{};
  ev.hdr = header(ZTAI_EVENT_PROCESS_EXEC, static_cast<uint32_t>(buf.size()));
  ev.parent = {100, 0, 50};
  ev.uid = 1000;
  ev.gid = 1001;
  ev.euid = 0;
  ev.egid = 1003;
  ev.exe_ino = 555;
  ev.exe_dev = (8 << 20) | 1;
  ev.old_tid = 4243;
  ev.flags = flags;
  ev.posture = {0x3fffffffff, 0x1ff, 0x3ffffffffff, 4026531836, 4026532008, 4026531841, ZTAI_SECCOMP_FILTER, 1, 0};
  ev.filename_len = static_cast<uint16_t>(filename.size());
  ev.args_len = static_cast<uint16_t>(args.size());
  std::memcpy(buf.data(), &ev, sizeof(ev));
  std::memcpy(buf.data() + sizeof(ev), filename.data(), filename.size());
  std::memcpy(buf.data() + sizeof(ev) + filename.size(), args.data(), args.size());
  return buf;
}

template <typename T>
std::vector<std::byte> bytes_of(const T& v) {
  std::vector<std::byte> buf(sizeof(v));
  std::memcpy(buf.data(), &v, sizeof(v));
  return buf;
}

TEST(ProcessDecoder, DecodesExecWithEveryField) {
  using namespace std::string_view_literals;
  auto rec = exec_record("/bin/echo\0"sv, "/bin/echo\0hello\0"sv);
  auto ev = decode_record(rec);
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->hdr.type, EventType::kExec);
  EXPECT_EQ(ev->hdr.boot_ns, 123456789u);
  EXPECT_EQ(ev->hdr.tid, 4243u);
  EXPECT_EQ(ev->hdr.proc, (ProcKey{4242, 777}));
  EXPECT_EQ(ev->hdr.cgroup_id, 99u);
  const ExecPayload* p = ev->as<ExecPayload>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->filename, "/bin/echo");
  EXPECT_EQ(p->argv, (std::vector<std::string>{"/bin/echo", "hello"}));
  EXPECT_EQ(p->parent, (ProcKey{100, 50}));
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->gid, 1001u);
  EXPECT_EQ(p->euid, 0u);
  EXPECT_EQ(p->egid, 1003u);
  EXPECT_EQ(p->exe_ino, 555u);
  EXPECT_EQ(p->exe_dev, (8u << 20) | 1);
  EXPECT_EQ(p->posture, (Posture{0x3fffffffff, 0x1ff, 0x3ffffffffff, 4026531836, 4026532008, 4026531841, 2, true}));
  EXPECT_FALSE(p->args_truncated);
}

TEST(ProcessDecoder, KeepsTruncationFlagsAndPartialLastArgument) {
  using namespace std::string_view_literals;
  auto rec = exec_record("/bin/x\0"sv, "a\0bc"sv, ZTAI_EXEC_ARGS_TRUNCATED | ZTAI_EXEC_FILENAME_TRUNCATED);
  auto ev = decode_record(rec);
  ASSERT_TRUE(ev);
  const ExecPayload* p = ev->as<ExecPayload>();
  EXPECT_EQ(p->argv, (std::vector<std::string>{"a", "bc"}));
  EXPECT_TRUE(p->args_truncated);
  EXPECT_TRUE(p->filename_truncated);
}

TEST(ProcessDecoder, SplitsArgvKeepingEmptyArguments) {
  using namespace std::string_view_literals;
  EXPECT_EQ(split_argv("a\0\0b\0"sv), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(split_argv("").empty());
}

TEST(ProcessDecoder, DecodesForkAndExit) {
  ztai_fork_event f{};
  f.hdr = header(ZTAI_EVENT_PROCESS_FORK, sizeof(f));
  f.child = {5000, 0, 900};
  f.parent = {4242, 0, 777};
  f.child_cgroup_id = 98;
  f.child_tid = 5000;
  auto fe = decode_record(bytes_of(f));
  ASSERT_TRUE(fe);
  const ForkPayload* fp = fe->as<ForkPayload>();
  ASSERT_NE(fp, nullptr);
  EXPECT_EQ(fp->child, (ProcKey{5000, 900}));
  EXPECT_EQ(fp->parent, (ProcKey{4242, 777}));
  EXPECT_EQ(fp->child_cgroup_id, 98u);

  ztai_exit_event x{};
  x.hdr = header(ZTAI_EVENT_PROCESS_EXIT, sizeof(x));
  x.status = (7 << 8);
  auto xe = decode_record(bytes_of(x));
  ASSERT_TRUE(xe);
  EXPECT_EQ(xe->as<ExitPayload>()->exit_code(), 7);
  EXPECT_EQ(xe->as<ExitPayload>()->signal(), 0);
  x.status = 9 | 0x80;
  xe = decode_record(bytes_of(x));
  EXPECT_EQ(xe->as<ExitPayload>()->signal(), 9);
  EXPECT_TRUE(xe->as<ExitPayload>()->core_dumped());
}

TEST(ProcessDecoder, RejectsShortCorruptAndUnknownRecords) {
  using namespace std::string_view_literals;
  std::vector<std::byte> tiny(10);
  EXPECT_FALSE(decode_record(tiny));

  auto rec = exec_record("/bin/echo\0"sv, "x\0"sv);
  // Declared size larger than the bytes received.
  ztai_event_header h;
  std::memcpy(&h, rec.data(), sizeof(h));
  h.size = static_cast<uint32_t>(rec.size() + 1);
  std::memcpy(rec.data(), &h, sizeof(h));
  EXPECT_FALSE(decode_record(rec));

  // Lengths that do not add up to the record.
  rec = exec_record("/bin/echo\0"sv, "x\0"sv);
  ztai_exec_event ev;
  std::memcpy(&ev, rec.data(), sizeof(ev));
  ev.args_len = 500;
  std::memcpy(rec.data(), &ev, sizeof(ev));
  auto bad = decode_record(rec);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("exec record"), std::string::npos);

  // Fixed payload cut short, and a type nobody registered.
  ztai_exit_event x{};
  x.hdr = header(ZTAI_EVENT_PROCESS_EXIT, sizeof(ztai_event_header));
  auto cut = bytes_of(x);
  EXPECT_FALSE(decode_record(std::span<const std::byte>(cut).first(sizeof(ztai_event_header))));
  x.hdr = header(ZTAI_EVENT_TYPE_MAX + 5, sizeof(x));
  EXPECT_FALSE(decode_record(bytes_of(x)));
}

}  // namespace
}  // namespace ztai
