#include "agent/rules/alert_limiter.h"

#include <gtest/gtest.h>

namespace ztai::rules {
namespace {

Record alert(const std::string& rule) {
  Record r;
  r.rule = rule;
  r.output = "out";
  return r;
}

constexpr uint64_t kSecond = 1'000'000'000;

TEST(AlertLimiter, ABurstPerWindowThenTheSuppressedCountRidesOnTheNextAlert) {
  MetricsRegistry metrics;
  AlertLimiter limiter({2, 10 * kSecond, 100}, metrics);
  uint64_t p = 10;
  for (int i = 0; i < 2; ++i) {
    Record a = alert("r");
    EXPECT_TRUE(limiter.admit(a, p, kSecond + i));
    EXPECT_TRUE(a.fields.empty());
  }
  for (int i = 0; i < 5; ++i) {
    Record a = alert("r");
    EXPECT_FALSE(limiter.admit(a, p, 2 * kSecond + i));
  }
  // Another workload and another rule have their own budgets.
  Record other = alert("r");
  EXPECT_TRUE(limiter.admit(other, 11, 3 * kSecond));
  Record other_rule = alert("s");
  EXPECT_TRUE(limiter.admit(other_rule, p, 3 * kSecond));

  Record next = alert("r");
  ASSERT_TRUE(limiter.admit(next, p, 11 * kSecond + 1));
  ASSERT_EQ(next.fields.size(), 1u);
  EXPECT_EQ(next.fields[0], (std::pair<std::string, FieldValue>{"ztai.suppressed", uint64_t{5}}));
  EXPECT_EQ(next.output, "out (5 similar alerts suppressed)");
  Record after = alert("r");
  ASSERT_TRUE(limiter.admit(after, p, 11 * kSecond + 2));
  EXPECT_TRUE(after.fields.empty()) << "the count is reported once";
  EXPECT_EQ(metrics.value("ztai_alerts_suppressed_total"), 5);
}

TEST(AlertLimiter, ZeroBurstMeansNoLimit) {
  MetricsRegistry metrics;
  AlertLimiter limiter({0, kSecond, 10}, metrics);
  for (int i = 0; i < 100; ++i) {
    Record a = alert("r");
    EXPECT_TRUE(limiter.admit(a, 1, 5));
  }
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(AlertLimiter, KeysAreBoundedAndEvictionsCounted) {
  MetricsRegistry metrics;
  AlertLimiter limiter({1, 100 * kSecond, 8}, metrics);
  for (uint64_t cgroup = 1; cgroup <= 100; ++cgroup) {
    Record a = alert("r");
    EXPECT_TRUE(limiter.admit(a, cgroup, kSecond));
    EXPECT_LE(limiter.size(), 8u);
  }
  EXPECT_EQ(metrics.value("ztai_alert_limiter_evicted_total"), 92);
  // Expired windows are dropped before live ones are evicted.
  Record late = alert("r");
  EXPECT_TRUE(limiter.admit(late, 1000, 200 * kSecond));
  EXPECT_EQ(metrics.value("ztai_alert_limiter_evicted_total"), 92);
}

}  // namespace
}  // namespace ztai::rules
