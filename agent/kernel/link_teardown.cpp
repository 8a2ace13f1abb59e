#include "agent/kernel/link_teardown.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <bpf/libbpf.h>

namespace ztai {
namespace {

// More threads than this did not stop faster (tests/bench/stop_bench.sh).
constexpr size_t kMaxThreads = 16;

}  // namespace

void destroy_links(std::span<bpf_link*> links) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < links.size();) {
      if (links[i]) bpf_link__destroy(links[i]);
      links[i] = nullptr;
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min(kMaxThreads, links.size());
  for (size_t i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

}  // namespace ztai
