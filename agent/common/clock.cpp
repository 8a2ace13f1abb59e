#include "agent/common/clock.h"

#include <ctime>

#include <fmt/format.h>

#include "bpf/abi/events.h"

namespace ztai {
namespace {
int64_t to_ns(const timespec& ts) { return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec; }
}  // namespace

BootClock::BootClock() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  offset_ns_ = to_ns(real) - to_ns(boot);
}

uint64_t BootClock::ticks_to_unix_ns(uint64_t ticks) const {
  return to_unix_ns(ticks * ZTAI_NSEC_PER_TICK);
}

uint64_t BootClock::now_boot_ns() {
  timespec boot{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return static_cast<uint64_t>(to_ns(boot));
}

std::string format_rfc3339_ns(uint64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
  tm utc{};
  gmtime_r(&secs, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, unix_ns % 1'000'000'000);
}

}  // namespace ztai
