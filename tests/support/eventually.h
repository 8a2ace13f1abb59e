// Waiting in tests of code that works on a thread of its own (watchers, reloaders).
#pragma once

#include <chrono>
#include <thread>

namespace ztai::testing {

// Polls cond every 10 ms for about 5 s; true as soon as it holds, else what a last check says.
template <typename Cond>
bool eventually(Cond cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

}  // namespace ztai::testing
