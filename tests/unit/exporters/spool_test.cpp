#include "exporters/spool/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "exporters/spool/record_codec.h"

namespace ztai {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ztai-spool-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

Record rec(int i) {
  Record r;
  r.rule = "rule-" + std::to_string(i);
  r.time_unix_ns = 1000 + i;
  r.priority = Priority::kWarning;
  r.tags = {"a", "b"};
  r.fields = {{"proc.pid", uint64_t(i)}, {"x", int64_t(-1)}, {"s", std::string("v\n|")}, {"n", std::monostate{}},
              {"b", true}, {"l", std::vector<std::string>{"1", "2"}}};
  return r;
}

TEST(RecordCodec, RoundTripsEveryFieldTypeAndRejectsTruncation) {
  Record r = rec(7);
  std::string bytes;
  encode_record(r, bytes);
  auto back = decode_record(bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->rule, r.rule);
  EXPECT_EQ(back->time_unix_ns, r.time_unix_ns);
  EXPECT_EQ(back->priority, r.priority);
  EXPECT_EQ(back->tags, r.tags);
  EXPECT_EQ(back->fields, r.fields);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_record(std::string_view(bytes).substr(0, cut))) << cut;
  }
}

TEST_F(SpoolTest, DeliversInOrderAndKeepsUncommittedRecordsAcrossReopen) {
  {
    auto s = Spool::open({dir_, 1 << 20});
    ASSERT_TRUE(s) << s.error().message();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*s)->append(rec(i)));
    auto first = (*s)->read(4);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 4u);
    EXPECT_EQ((*first)[0].rule, "rule-0");
    ASSERT_TRUE((*s)->commit());
    auto second = (*s)->read(3);  // read, never committed: must come back after a restart
    ASSERT_EQ(second->size(), 3u);
    EXPECT_EQ((*s)->records(), 6u);
  }
  auto s = Spool::open({dir_, 1 << 20});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->records(), 6u);
  auto all = (*s)->read(100);
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[0].rule, "rule-4");
  EXPECT_EQ((*all)[5].rule, "rule-9");
  ASSERT_TRUE((*s)->commit());
  EXPECT_EQ((*s)->records(), 0u);
}

TEST_F(SpoolTest, SizeCapDropsTheOldestAndCountsThem) {
  auto s = Spool::open({dir_, 64 << 10, 8 << 10});
  ASSERT_TRUE(s);
  std::string one;
  encode_record(rec(0), one);
  const int n = 2000;
  for (int i = 0; i < n; ++i) ASSERT_TRUE((*s)->append(rec(i)));
  EXPECT_LE((*s)->bytes(), 64u << 10);
  uint64_t dropped = (*s)->take_dropped();
  EXPECT_GT(dropped, 0u);
  auto rest = (*s)->read(n);
  ASSERT_TRUE(rest);
  // Nothing disappears uncounted, and what is left is the newest, in order.
  EXPECT_EQ(dropped + rest->size(), static_cast<uint64_t>(n));
  EXPECT_EQ(rest->back().rule, "rule-" + std::to_string(n - 1));
  EXPECT_EQ(rest->front().rule, "rule-" + std::to_string(dropped));
}

TEST_F(SpoolTest, TornTailFromACrashIsCountedAndTheRestSurvives) {
  {
    auto s = Spool::open({dir_, 1 << 20});
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->append(rec(i)));
  }
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".seg" && std::filesystem::file_size(e.path()) > 0) seg = e.path();
  }
  ASSERT_FALSE(seg.empty());
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) - 3);
  auto s = Spool::open({dir_, 1 << 20});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->records(), 4u);
  EXPECT_EQ((*s)->take_corrupt(), 1u);
  auto all = (*s)->read(10);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[3].rule, "rule-3");
}

TEST_F(SpoolTest, UnwritableDirectoryIsAnError) {
  auto s = Spool::open({"/proc/ztai-no-such-dir/x", 1 << 20});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("spool: cannot create /proc/ztai-no-such-dir/x"), std::string::npos);
}

}  // namespace
}  // namespace ztai
