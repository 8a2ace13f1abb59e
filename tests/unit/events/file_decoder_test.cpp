#include "agent/events/file_decoder.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/events/decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

std::vector<std::byte> file_record(uint16_t syscall, std::string_view path, std::string_view path2 = {},
                                   int64_t res = 3, uint16_t path_flags = 0) {
  std::vector<std::byte> buf(sizeof(ztai_file_event) + path.size() + path2.size());
  ztai_file_event ev{};
  ev.hdr.type = ZTAI_EVENT_FILE;
  ev.hdr.size = static_cast<uint32_t>(buf.size());
  ev.hdr.proc.tgid = 7;
  ev.res = res;
  ev.syscall = syscall;
  ev.path_flags = path_flags;
  ev.flags = 02101;
  ev.mode = 0640;
  ev.path_len = static_cast<uint16_t>(path.size());
  ev.path2_len = static_cast<uint16_t>(path2.size());
  std::memcpy(buf.data(), &ev, sizeof(ev));
  std::memcpy(buf.data() + sizeof(ev), path.data(), path.size());
  std::memcpy(buf.data() + sizeof(ev) + path.size(), path2.data(), path2.size());
  return buf;
}

TEST(FileDecoder, EachSyscallIsItsOwnEventType) {
  using namespace std::string_view_literals;
  auto e = decode_record(file_record(ZTAI_FILE_OPENAT, "/var/lib/models/x.gguf\0"sv, {}, 5, ZTAI_PATH_RESOLVED));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->hdr.type, EventType::kOpenat);
  EXPECT_EQ(event_type_name(e->hdr.type), "openat");
  const FilePayload* f = e->as<FilePayload>();
  EXPECT_EQ(f->path, "/var/lib/models/x.gguf");
  EXPECT_TRUE(f->path_resolved);
  EXPECT_EQ(f->res, 5);
  EXPECT_EQ(f->flags, 02101u);
  EXPECT_EQ(f->mode, 0640u);

  auto r = decode_record(file_record(ZTAI_FILE_RENAMEAT2, "/a/b\0"sv, "/a/c\0"sv, -EEXIST));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hdr.type, EventType::kRenameat2);
  EXPECT_EQ(r->as<FilePayload>()->path2, "/a/c");
  EXPECT_FALSE(r->as<FilePayload>()->ok());
  EXPECT_EQ(event_type_name(EventType::kMemfdCreate), "memfd_create");
}

TEST(FileDecoder, FoldsDotAndDotDotWithoutTouchingTheFilesystem) {
  EXPECT_EQ(normalize_path("/var/lib/models/../models/./x.gguf"), "/var/lib/models/x.gguf");
  EXPECT_EQ(normalize_path("//etc///shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("memfd:x"), "memfd:x");
}

TEST(FileDecoder, RejectsInconsistentRecords) {
  using namespace std::string_view_literals;
  auto rec = file_record(ZTAI_FILE_OPENAT, "/x\0"sv);
  rec.push_back(std::byte{0});  // data longer than the lengths say
  ztai_file_event ev;
  std::memcpy(&ev, rec.data(), sizeof(ev));
  ev.hdr.size = static_cast<uint32_t>(rec.size());
  std::memcpy(rec.data(), &ev, sizeof(ev));
  EXPECT_FALSE(decode_record(rec));
  EXPECT_FALSE(decode_record(file_record(0, "/x\0"sv)));
  EXPECT_FALSE(decode_record(file_record(ZTAI_FILE_SYSCALL_MAX, "/x\0"sv)));
}

}  // namespace
}  // namespace ztai
