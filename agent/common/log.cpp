#include "agent/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace ztai::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;
}  // namespace

void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void write(Level l, std::string_view message) {
  static constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
  std::lock_guard lock(g_mutex);
  fmt::print(stderr, "ztai {}: {}\n", kNames[static_cast<int>(l)], message);
}

}  // namespace ztai::log
