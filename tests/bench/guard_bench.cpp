// Cost of process and file enforcement (docs/enforcement.md), measured on this host:
// - fork + exec of /bin/true in a cgroup the test creates: unguarded, guarded with an allowlist
//   that allows it (the exec tracepoint's lookups), and denied (killed before it runs);
// - open + close of a file marked by the protected-file guard, from a process outside the
//   governed workload (every other process pays this round trip to the agent), against an
//   unmarked file.
// Root only; run by hand: ztai_guard_bench --benchmark_repetitions=5.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/common/mounts.h"
#include "agent/enforce/file_guard.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/features.h"
#include "tests/support/test_cgroup.h"

namespace {

namespace fs = std::filesystem;
using ztai::testing::TestCgroup;

struct Setup {
  std::unique_ptr<ztai::BpfPrograms> programs;
  std::unique_ptr<ztai::GuardMaps> maps;
  std::unique_ptr<TestCgroup> plain, guarded, denied;
};

Setup& setup() {
  static Setup s = [] {
    Setup s;
    ztai::LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    auto p = ztai::BpfPrograms::load(settings, ztai::probe_kernel_features());
    if (!p) throw std::runtime_error(p.error().message());
    s.programs = std::move(*p);
    s.maps = s.programs->guard_maps();
    auto cgroup = [](const char* tag) {
      auto cg = TestCgroup::create(tag);
      if (!cg) throw std::runtime_error(cg.error().message());
      return std::move(cg.value());
    };
    s.plain = cgroup("bench-plain");
    s.guarded = cgroup("bench-guarded");
    s.denied = cgroup("bench-denied");
    struct stat sb;
    stat("/bin/true", &sb);
    ztai::GuardTables t;
    ztai::GuardWorkload w;
    w.policy_id = 1;
    w.flags = ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY;
    t.workloads[s.guarded->id()] = w;
    w.policy_id = 2;
    t.workloads[s.denied->id()] = w;
    t.exec_files[{1, ztai::kernel_dev(sb.st_dev), sb.st_ino}] = {ZTAI_GUARD_ALLOW, 1};
    if (!s.maps->apply(t)) throw std::runtime_error("writing the guard tables failed");
    return s;
  }();
  return s;
}

void exec_true_in(benchmark::State& state, const TestCgroup& cg, bool expect_killed) {
  for (auto _ : state) {
    pid_t pid = cg.fork_into([] {
      execl("/bin/true", "true", static_cast<char*>(nullptr));
      return 127;
    });
    int st = TestCgroup::wait(pid);
    bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    if (killed != expect_killed) state.SkipWithError("unexpected exit status");
  }
}

void BM_ExecUnguarded(benchmark::State& state) { exec_true_in(state, *setup().plain, false); }
void BM_ExecGuardedAllowed(benchmark::State& state) { exec_true_in(state, *setup().guarded, false); }
void BM_ExecGuardedDenied(benchmark::State& state) { exec_true_in(state, *setup().denied, true); }
BENCHMARK(BM_ExecUnguarded)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExecGuardedAllowed)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExecGuardedDenied)->Unit(benchmark::kMicrosecond);

struct FileSetup {
  fs::path dir;
  std::unique_ptr<ztai::enforce::FileGuard> guard;
};

FileSetup& file_setup() {
  static FileSetup f = [] {
    FileSetup f;
    f.dir = fs::temp_directory_path() / ("ztai-guard-bench-" + std::to_string(getpid()));
    fs::create_directories(f.dir);
    std::ofstream(f.dir / "protected") << "x";
    std::ofstream(f.dir / "plain") << "x";
    auto mounts = ztai::read_mounts();
    ztai::enforce::FileGuardSettings settings;
    settings.cgroup2_mount = *ztai::find_mount(*mounts, "cgroup2");
    auto g = ztai::enforce::FileGuard::start(settings, nullptr);
    if (!g) throw std::runtime_error(g.error().message());
    f.guard = std::move(*g);
    ztai::enforce::FileGuardPlan plan;
    ztai::enforce::FilePolicy p{1, "bench", false, {}};
    p.deny.push_back({1, "files.deny[0]", {ztai::PathPattern::Kind::kExact, (f.dir / "protected").string()},
                      ztai::enforce::kFileRead});
    plan.policies.push_back(p);
    plan.workloads["/ztai-bench-nobody"] = 0;  // the benchmark process is never in it
    if (!f.guard->apply(plan)) throw std::runtime_error("protecting the file failed");
    return f;
  }();
  return f;
}

void open_close(benchmark::State& state, const fs::path& path) {
  for (auto _ : state) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) state.SkipWithError("open failed");
    close(fd);
  }
}

void BM_OpenUnmarked(benchmark::State& state) { open_close(state, file_setup().dir / "plain"); }
void BM_OpenProtectedByAnother(benchmark::State& state) { open_close(state, file_setup().dir / "protected"); }
BENCHMARK(BM_OpenUnmarked)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_OpenProtectedByAnother)->Unit(benchmark::kNanosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Unmark and remove before the process ends, also when a benchmark failed.
  if (file_setup().guard) {
    file_setup().guard.reset();
    fs::remove_all(file_setup().dir);
  }
  setup().maps.reset();
  setup().programs.reset();
  setup().plain.reset();
  setup().guarded.reset();
  setup().denied.reset();
  return 0;
}
