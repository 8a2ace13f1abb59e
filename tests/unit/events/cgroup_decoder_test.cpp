#include "agent/events/cgroup_decoder.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "agent/events/decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

std::vector<std::byte> record(uint16_t type, const std::string& path, uint16_t path_len, uint16_t flags = 0) {
  ztai_cgroup_event raw{};
  raw.hdr.type = type;
  raw.hdr.size = sizeof(raw);
  raw.hdr.proc.tgid = 10;
  raw.hdr.cgroup_id = 1;
  raw.id = 12345;
  raw.level = 3;
  raw.flags = flags;
  raw.path_len = path_len;
  std::memcpy(raw.path, path.data(), std::min(path.size(), sizeof(raw.path)));
  std::vector<std::byte> out(sizeof(raw));
  std::memcpy(out.data(), &raw, sizeof(raw));
  return out;
}

TEST(CgroupDecoder, DecodesMkdirAndRmdir) {
  std::string path = "/kubepods.slice/x.scope";
  for (uint16_t type : {uint16_t{ZTAI_EVENT_CGROUP_MKDIR}, uint16_t{ZTAI_EVENT_CGROUP_RMDIR}}) {
    auto e = decode_record(record(type, path, static_cast<uint16_t>(path.size() + 1)));
    ASSERT_TRUE(e) << e.error().message();
    const CgroupPayload* p = e->as<CgroupPayload>();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->id, 12345u);
    EXPECT_EQ(p->level, 3u);
    EXPECT_EQ(p->path, path);
    EXPECT_FALSE(p->path_truncated);
  }
  EXPECT_EQ(event_type_name(EventType::kCgroupMkdir), "cgroup_mkdir");
  EXPECT_EQ(event_type_name(EventType::kCgroupRmdir), "cgroup_rmdir");
}

TEST(CgroupDecoder, HostileRecordsAreErrors) {
  // path_len beyond the buffer.
  auto e = decode_record(record(ZTAI_EVENT_CGROUP_MKDIR, "/a", ZTAI_CGROUP_PATH_MAX + 1));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("exceeds"), std::string::npos);
  // Shorter than the fixed part.
  auto r = record(ZTAI_EVENT_CGROUP_MKDIR, "/a", 3);
  ztai_event_header hdr;
  std::memcpy(&hdr, r.data(), sizeof(hdr));
  hdr.size = 100;
  std::memcpy(r.data(), &hdr, sizeof(hdr));
  EXPECT_FALSE(decode_record(std::span(r).first(100)));
  // A path without its NUL stops at path_len; a truncated one is flagged.
  std::string full(ZTAI_CGROUP_PATH_MAX, 'x');
  auto t = decode_record(record(ZTAI_EVENT_CGROUP_MKDIR, full, ZTAI_CGROUP_PATH_MAX, ZTAI_CGROUP_PATH_TRUNCATED));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->as<CgroupPayload>()->path.size(), size_t{ZTAI_CGROUP_PATH_MAX});
  EXPECT_TRUE(t->as<CgroupPayload>()->path_truncated);
}

}  // namespace
}  // namespace ztai
