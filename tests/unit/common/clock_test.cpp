#include "agent/common/clock.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

TEST(Clock, FormatsRfc3339WithNanoseconds) {
  EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_rfc3339_ns(1'700'000'000'123'456'789ULL), "2023-11-14T22:13:20.123456789Z");
}

TEST(Clock, ConvertsBootTimeAndTicksWithOneOffset) {
  BootClock clock(1'000'000'000'000LL);
  EXPECT_EQ(clock.to_unix_ns(5), 1'000'000'000'005ULL);
  EXPECT_EQ(clock.ticks_to_unix_ns(3), 1'000'000'000'000ULL + 30'000'000ULL);  // USER_HZ = 100
}

TEST(Clock, SampledOffsetMatchesRealtime) {
  BootClock clock;
  timespec real{};
  clock_gettime(CLOCK_REALTIME, &real);
  uint64_t now = uint64_t(real.tv_sec) * 1'000'000'000 + uint64_t(real.tv_nsec);
  uint64_t converted = clock.to_unix_ns(BootClock::now_boot_ns());
  EXPECT_LT(converted > now ? converted - now : now - converted, 50'000'000ULL);
}

}  // namespace
}  // namespace ztai
