// Cost of handing one drain of the control and data rings on in kernel-time order (RingMerge:
// control records are copied and wait for the data ring), against handing each record on as it is
// read. Records of typical sizes: 128-byte control records, 1 KiB data records, 4 control records
// per data record, times interleaved as two rings filled by two CPUs would have them.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "agent/kernel/ring_merge.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

struct CountingSink : RecordSink {
  void on_record(std::span<const std::byte> record) override {
    bytes += record.size();
    benchmark::DoNotOptimize(record.data());
  }
  size_t bytes = 0;
};

struct Drain {
  std::vector<std::vector<std::byte>> control, data;
};

Drain make_drain(size_t control_records) {
  Drain d;
  auto record = [](size_t size, uint64_t t) {
    std::vector<std::byte> r(size);
    ztai_event_header h{};
    h.size = static_cast<uint32_t>(size);
    h.ktime_ns = t;
    std::memcpy(r.data(), &h, sizeof(h));
    return r;
  };
  for (size_t i = 0; i < control_records; ++i) d.control.push_back(record(128, i * 1000));
  for (size_t i = 0; i < control_records / 4; ++i) d.data.push_back(record(1024, i * 4000 + 500));
  return d;
}

void BM_ArrivalOrder(benchmark::State& state) {
  Drain d = make_drain(static_cast<size_t>(state.range(0)));
  CountingSink sink;
  for (auto _ : state) {
    for (const auto& r : d.control) sink.on_record(r);
    for (const auto& r : d.data) sink.on_record(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(d.control.size() + d.data.size()));
}
BENCHMARK(BM_ArrivalOrder)->Arg(64)->Arg(4096);

void BM_KernelTimeOrder(benchmark::State& state) {
  Drain d = make_drain(static_cast<size_t>(state.range(0)));
  CountingSink sink;
  RingMerge merge(sink);
  for (auto _ : state) {
    for (const auto& r : d.control) merge.control(r);
    for (const auto& r : d.data) merge.data(r);
    merge.flush();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(d.control.size() + d.data.size()));
}
BENCHMARK(BM_KernelTimeOrder)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
