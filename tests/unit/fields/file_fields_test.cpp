#include "agent/fields/file_fields.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>

namespace ztai {
namespace {

FieldValue get(const Event& e, const std::string& name) {
  MetricsRegistry metrics;
  ProcessTable table({}, "h", metrics);
  BootClock clock(0);
  EventContext ctx{e, nullptr, table, clock};
  auto list = extract_fields(builtin_fields(), ctx, {name});
  return list.empty() ? FieldValue() : list[0].second;
}

Event file_event(EventType type, std::string path, int64_t res, uint32_t flags = 0) {
  FilePayload p;
  p.path = std::move(path);
  p.res = res;
  p.flags = flags;
  return Event{EventHeader{type, 0, 1, 0, {1, 1}, 0}, p};
}

TEST(FileFields, PathPartsAndResult) {
  Event e = file_event(EventType::kOpenat, "/var/lib/models/x.gguf", 4, O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(get(e, "fd.name"), FieldValue(std::string("/var/lib/models/x.gguf")));
  EXPECT_EQ(get(e, "fd.directory"), FieldValue(std::string("/var/lib/models")));
  EXPECT_EQ(get(e, "fd.filename"), FieldValue(std::string("x.gguf")));
  EXPECT_EQ(get(e, "evt.type"), FieldValue(std::string("openat")));
  EXPECT_EQ(get(e, "evt.res"), FieldValue(std::string("SUCCESS")));
  EXPECT_EQ(get(e, "evt.rawres"), FieldValue(int64_t{4}));
  EXPECT_EQ(get(e, "evt.arg.flags"), FieldValue(std::string("O_RDONLY|O_CLOEXEC")));
  EXPECT_EQ(get(e, "evt.is_open_read"), FieldValue(true));
  EXPECT_EQ(get(e, "evt.is_open_write"), FieldValue(false));
  EXPECT_EQ(get(file_event(EventType::kOpenat, "/x", 3), "fd.directory"), FieldValue(std::string("/")));
}

TEST(FileFields, FailedCallsNameTheirErrno) {
  Event e = file_event(EventType::kOpenat, "/missing", -ENOENT, O_WRONLY | O_CREAT | O_TRUNC);
  EXPECT_EQ(get(e, "evt.res"), FieldValue(std::string("ENOENT")));
  EXPECT_EQ(get(e, "evt.rawres"), FieldValue(int64_t{-ENOENT}));
  EXPECT_EQ(get(e, "evt.arg.flags"), FieldValue(std::string("O_WRONLY|O_CREAT|O_TRUNC")));
  EXPECT_EQ(get(e, "evt.is_open_write"), FieldValue(true));
}

TEST(FileFields, AbsentOnOtherEvents) {
  Event exec{EventHeader{EventType::kExec, 0, 1, 0, {1, 1}, 0}, ExecPayload{}};
  EXPECT_EQ(get(exec, "fd.name"), FieldValue());
  EXPECT_EQ(get(exec, "evt.rawres"), FieldValue());
  Event unlink = file_event(EventType::kUnlinkat, "/a", 0, 0x200);
  EXPECT_EQ(get(unlink, "evt.arg.flags"), FieldValue(std::string("512"))) << "only open flags are named";
  EXPECT_EQ(get(unlink, "evt.is_open_read"), FieldValue());
}

}  // namespace
}  // namespace ztai
