// Cost of naming the workload of an event on a warm cache (target: <= 1 us per event), and of
// extracting every workload field an event record carries.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/fields/field_registry.h"
#include "agent/fields/workload_fields.h"
#include "agent/identity/workload_resolver.h"

namespace ztai {
namespace {

namespace fs = std::filesystem;

// cgroups shaped as a kubelet makes them, in a directory tree standing in for the cgroup2 mount.
class Host {
 public:
  explicit Host(int pods) : root_(fs::temp_directory_path() / ("ztai-identity-bench-" + std::to_string(getpid()))) {
    for (int i = 0; i < pods; ++i) {
      std::string uid = fmt::format("{:08x}-4a1f-4bde-9c7a-2f1e3d4c5b6a", i);
      std::string uid_ = uid;
      std::replace(uid_.begin(), uid_.end(), '-', '_');
      std::string id = fmt::format("{:064x}", i + 1);
      fs::path dir = root_ / "kubepods.slice" / "kubepods-besteffort.slice" /
                     ("kubepods-besteffort-pod" + uid_ + ".slice") / ("cri-containerd-" + id + ".scope");
      fs::create_directories(dir);
      struct stat sb;
      stat(dir.c_str(), &sb);
      ids.push_back(sb.st_ino);
      PodInfo p;
      p.uid = uid;
      p.name = fmt::format("pod-{}", i);
      p.ns = "bench";
      p.service_account = "sa";
      p.labels = {{"app", "bench"}, {"tier", "gpu"}};
      p.containers = {{id, "main", "registry.example/bench:1"}};
      store.upsert(std::move(p));
    }
    paths = std::make_unique<CgroupPaths>(root_.string(), 1 << 20, metrics);
    paths->scan();
    store.set_state(PodStore::State::kSynced);
  }
  ~Host() { fs::remove_all(root_); }

  fs::path root_;
  std::vector<uint64_t> ids;
  MetricsRegistry metrics;
  PodStore store;
  std::unique_ptr<CgroupPaths> paths;
};

WorkloadResolverSettings settings() {
  WorkloadResolverSettings s;
  s.node_name = "node";
  s.host_name = "host";
  return s;
}

Event exec_in(uint64_t cgroup) {
  Event e;
  e.hdr.type = EventType::kExec;
  e.hdr.cgroup_id = cgroup;
  e.hdr.proc = {1234, 1};
  e.payload = ExecPayload{};
  return e;
}

// One busy pod: the cache entry is hot.
void BM_ResolveWarmOnePod(benchmark::State& state) {
  Host host(1);
  WorkloadResolver r(settings(), *host.paths, &host.store, host.metrics);
  Event e = exec_in(host.ids[0]);
  r.resolve(e);
  for (auto _ : state) benchmark::DoNotOptimize(r.resolve(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveWarmOnePod);

// Events spread over many pods (a busy node): every lookup is a different cache entry.
void BM_ResolveWarmManyPods(benchmark::State& state) {
  Host host(static_cast<int>(state.range(0)));
  WorkloadResolver r(settings(), *host.paths, &host.store, host.metrics);
  std::vector<Event> events;
  for (uint64_t id : host.ids) events.push_back(exec_in(id));
  for (const Event& e : events) r.resolve(e);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve(events[i]));
    i = (i + 7919) % events.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveWarmManyPods)->Arg(100)->Arg(2000);

// A hybrid host (as this one): a host process's v2 cgroup shows no container, so its cgroup v1
// identity is looked up per process (read from /proc once, then cached).
void BM_ResolveWarmHybridHostProcess(benchmark::State& state) {
  Host host(1);
  WorkloadResolverSettings s = settings();
  s.hybrid = true;
  WorkloadResolver r(s, *host.paths, &host.store, host.metrics);
  struct stat sb;
  stat(host.root_.c_str(), &sb);
  Event e = exec_in(sb.st_ino);
  e.hdr.proc = {static_cast<uint32_t>(getpid()), 1};
  r.resolve(e);
  for (auto _ : state) benchmark::DoNotOptimize(r.resolve(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveWarmHybridHostProcess);

// Resolve, then extract every workload field an event record carries (the output's share).
void BM_ResolveAndExtractFields(benchmark::State& state) {
  Host host(1);
  WorkloadResolver r(settings(), *host.paths, &host.store, host.metrics);
  MetricsRegistry m;
  ProcessTable processes({}, "host", m);
  BootClock clock;
  Event e = exec_in(host.ids[0]);
  // As the pipeline does: names resolved once, values extracted per event.
  const FieldSelection selection = select_fields(builtin_fields(), workload_output_fields());
  for (auto _ : state) {
    EventContext ctx{e, nullptr, processes, clock, r.resolve(e)};
    benchmark::DoNotOptimize(extract_fields(ctx, selection));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveAndExtractFields);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
