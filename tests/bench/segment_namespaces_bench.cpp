// What keeping segmentation's list of the node's addresses costs the agent per rescan: reading one
// network namespace (a thread that joins it, its cookie, an rtnetlink address dump), finding every
// process's namespace in /proc, and the bookkeeping of a namespace whose addresses did not change.
// Needs root (setns).
#include <dirent.h>
#include <sys/stat.h>

#include <cctype>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "agent/enforce/local_address_book.h"
#include "agent/kernel/network_namespace.h"

namespace ztai {
namespace {

void BM_ReadOneNamespace(benchmark::State& state) {
  for (auto _ : state) {
    auto r = read_netns_addresses("/proc/self/ns/net");
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->addresses.data());
  }
}
BENCHMARK(BM_ReadOneNamespace)->Unit(benchmark::kMicrosecond);

void BM_FindEveryProcessNamespace(benchmark::State& state) {
  size_t processes = 0;
  for (auto _ : state) {
    processes = 0;
    DIR* d = opendir("/proc");
    while (dirent* e = readdir(d)) {
      if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
      struct stat st {};
      if (stat(fmt::format("/proc/{}/ns/net", e->d_name).c_str(), &st) == 0) processes++;
    }
    closedir(d);
  }
  state.counters["processes"] = static_cast<double>(processes);
}
BENCHMARK(BM_FindEveryProcessNamespace)->Unit(benchmark::kMicrosecond);

void BM_UnchangedNamespace(benchmark::State& state) {
  enforce::LocalAddressBook book;
  std::vector<IpAddress> addresses{*IpAddress::parse("10.244.1.7"), *IpAddress::parse("fd00:10:244:1::7")};
  book.set(7, addresses);
  for (auto _ : state) benchmark::DoNotOptimize(book.set(7, addresses));
}
BENCHMARK(BM_UnchangedNamespace);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
