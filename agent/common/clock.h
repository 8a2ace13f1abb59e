// Kernel records carry CLOCK_BOOTTIME nanoseconds; alerts carry wall-clock time.
#pragma once

#include <cstdint>
#include <string>

namespace ztai {

class BootClock {
 public:
  // Samples the offset between CLOCK_REALTIME and CLOCK_BOOTTIME once.
  BootClock();
  explicit BootClock(int64_t realtime_minus_boottime_ns) : offset_ns_(realtime_minus_boottime_ns) {}

  uint64_t to_unix_ns(uint64_t boot_ns) const { return boot_ns + offset_ns_; }
  // Boot time in USER_HZ ticks (as /proc/PID/stat field 22) to Unix nanoseconds.
  uint64_t ticks_to_unix_ns(uint64_t ticks) const;
  static uint64_t now_boot_ns();

 private:
  int64_t offset_ns_;
};

// RFC 3339 UTC with nanoseconds, the shape Falco alerts use: 2026-01-02T03:04:05.123456789Z.
std::string format_rfc3339_ns(uint64_t unix_ns);

}  // namespace ztai
