// Cost of self-protection (docs/self-protection.md) on the calls it watches, measured on this
// host: kill(2) of the benchmark's own process with an ignored signal (signal_generate runs for
// every signal on the machine; this is the path of a signal to any process but the agent), a
// signal to the protected process (a record per call), and bpf(2) map updates on a map that is
// not the agent's (sys_enter_bpf resolves the descriptor and looks the id up). Each with the
// agent's programs loaded without the selfguard family, and with it; and the agent's periodic
// check of its objects and links.
// Root only; run by hand: ztai_selfguard_bench --benchmark_repetitions=5.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <stdexcept>

#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/features.h"
#include "agent/kernel/self_guard.h"

namespace {

// A child standing in as the agent; it ignores SIGUSR1 and is killed at exit.
struct StandIn {
  pid_t pid;
  StandIn() {
    int ready[2];
    if (pipe(ready) != 0) throw std::runtime_error("pipe");
    pid = fork();
    if (pid == 0) {
      signal(SIGUSR1, SIG_IGN);
      char c = 1;
      (void)!write(ready[1], &c, 1);
      for (;;) pause();
    }
    char c;
    (void)!read(ready[0], &c, 1);
    close(ready[0]);
    close(ready[1]);
  }
  ~StandIn() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

StandIn& stand_in() {
  static StandIn s;
  return s;
}

// 0: nothing loaded; 1: the agent's programs without selfguard; 2: with it, protecting the
// stand-in. Loaded once per change, outside the timed loops.
struct Loaded {
  int mode = 0;
  std::unique_ptr<ztai::BpfPrograms> programs;
  std::unique_ptr<ztai::SelfGuard> guard;
};

Loaded& loaded() {
  static Loaded l;
  return l;
}

void use(int mode) {
  Loaded& l = loaded();
  if (l.mode == mode) return;
  l.guard.reset();
  l.programs.reset();
  l.mode = mode;
  if (mode == 0) return;
  ztai::LoaderSettings settings;
  settings.self_tgid = static_cast<uint32_t>(getpid());
  if (mode == 1) settings.families_off.push_back("selfguard");
  auto p = ztai::BpfPrograms::load(settings, ztai::probe_kernel_features());
  if (!p) throw std::runtime_error(p.error().message());
  l.programs = std::move(*p);
  if (mode == 2) {
    auto g = ztai::SelfGuard::start(*l.programs, static_cast<uint32_t>(stand_in().pid));
    if (!g) throw std::runtime_error(g.error().message());
    l.guard = std::move(*g);
  }
}

void BM_KillIgnoredSignal(benchmark::State& state) {
  use(static_cast<int>(state.range(0)));
  signal(SIGURG, SIG_IGN);
  pid_t self = getpid();
  for (auto _ : state) benchmark::DoNotOptimize(kill(self, SIGURG));
}

void BM_KillTheProtectedProcess(benchmark::State& state) {
  use(static_cast<int>(state.range(0)));
  pid_t target = stand_in().pid;
  for (auto _ : state) benchmark::DoNotOptimize(kill(target, SIGUSR1));
}

void BM_MapUpdateOtherMap(benchmark::State& state) {
  use(static_cast<int>(state.range(0)));
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench", 4, 4, 1, nullptr);
  if (fd < 0) {
    state.SkipWithError("bpf_map_create failed");
    return;
  }
  __u32 key = 0, value = 0;
  for (auto _ : state) benchmark::DoNotOptimize(bpf_map_update_elem(fd, &key, &value, BPF_ANY));
  close(fd);
}

// The agent's check each second: every descriptor in /proc/self/fd read, each BPF one asked for
// its info (the agent's ~300 in a default run; here the skeleton's).
void BM_SelfGuardCheck(benchmark::State& state) {
  use(2);
  auto guard = ztai::SelfGuard::start(*loaded().programs, static_cast<uint32_t>(stand_in().pid));
  if (!guard) {
    state.SkipWithError(guard.error().message().c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize((*guard)->check());
  state.counters["objects"] = static_cast<double>((*guard)->objects());
}

BENCHMARK(BM_KillIgnoredSignal)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_MapUpdateOtherMap)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_KillTheProtectedProcess)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_SelfGuardCheck);

}  // namespace

BENCHMARK_MAIN();
