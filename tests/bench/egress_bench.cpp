// What network enforcement costs a connect(): UDP connect (no handshake, so the hook's share is
// visible) and TCP connect+close to a loopback listener, from a process in a cgroup of the
// benchmark's own, with nothing attached ("no agent") and with the egress programs attached and a
// policy of 1, 100 and 10,000 CIDR rules (the allowed destination is one of them). Needs root;
// attaches only to its own cgroup and removes it at the end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "agent/common/mounts.h"
#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/kernel/features.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 4096);
    socklen_t len = sizeof(addr_);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr_), &len);
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) close(c);
      }
    });
  }
  ~Listener() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  const sockaddr_in& addr() const { return addr_; }

 private:
  int fd_;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Everything one configuration needs; the process moves into the cgroup for the run and back.
struct Setup {
  std::unique_ptr<BpfPrograms> programs;
  std::unique_ptr<testing::TestCgroup> cgroup;
  std::unique_ptr<enforce::CgroupAttachment> attachment;
  std::unique_ptr<enforce::NetworkEnforcer> enforcer;
  std::string home;  // the cgroup.procs the process came from
};

std::string own_cgroup_procs(const std::string& mount) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return mount + line.substr(3) + "/cgroup.procs";
  }
  return "";
}

void move_self(const std::string& procs) {
  std::ofstream(procs) << getpid();
}

std::string policy_text(const std::string& cgroup, int rules, uint16_t port) {
  std::string allow = fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", port);
  for (int i = 1; i < rules; i++) {
    allow += fmt::format("      - {{ cidr: 10.{}.{}.0/24, ports: [443] }}\n", i / 256, i % 256);
  }
  return fmt::format(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: bench }}\n"
      "spec:\n  selector: {{ cgroup: \"{}\" }}\n  egress:\n    default: deny\n    allow:\n{}",
      cgroup, allow);
}

// rules < 0: nothing loaded or attached.
std::unique_ptr<Setup> setup(int rules, uint16_t tcp_port, benchmark::State& state) {
  auto s = std::make_unique<Setup>();
  auto mounts = read_mounts();
  std::string mount = mounts ? find_mount(*mounts, "cgroup2").value_or("") : "";
  auto cg = testing::TestCgroup::create("egress-bench");
  if (!cg) {
    state.SkipWithError(cg.error().message().c_str());
    return nullptr;
  }
  s->cgroup = std::move(*cg);
  s->home = own_cgroup_procs(mount);
  if (rules >= 0) {
    LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());  // the sensors skip this process
    settings.families_off = {"file", "net", "dns", "blindspot", "tls", "tls_go", "guard", "guard_unix"};
    auto p = BpfPrograms::load(settings, probe_kernel_features());
    if (!p) {
      state.SkipWithError(p.error().message().c_str());
      return nullptr;
    }
    s->programs = std::move(*p);
    auto att = enforce::CgroupAttachment::attach(enforce::egress_program_fds(*s->programs), s->cgroup->path());
    if (!att) {
      state.SkipWithError(att.error().message().c_str());
      return nullptr;
    }
    s->attachment = std::move(*att);
    enforce::EgressMapFds fds{s->programs->map_fd("ztai_policy_state"), s->programs->map_fd("ztai_policy_cgroups"),
                              s->programs->map_fd("ztai_egress_prefixes"), s->programs->map_fd("ztai_quarantine")};
    s->enforcer = std::make_unique<enforce::NetworkEnforcer>(enforce::EgressMaps(fds));
    auto parsed = policy::parse_policy_text(policy_text(s->cgroup->path().substr(mount.size()), rules, tcp_port),
                                            "bench.yaml");
    if (!parsed) {
      state.SkipWithError(parsed.error().message().c_str());
      return nullptr;
    }
    policy::PolicyTargets t;
    t.by_cgroup[s->cgroup->id()] = 0;
    t.matched_count = {1};
    auto applied = s->enforcer->apply(*parsed, t, {});
    if (!applied) {
      state.SkipWithError(applied.error().message().c_str());
      return nullptr;
    }
  }
  move_self(s->cgroup->path() + "/cgroup.procs");
  return s;
}

void teardown(std::unique_ptr<Setup> s) {
  if (!s) return;
  move_self(s->home);
  if (s->enforcer) (void)s->enforcer->clear();
}

void BM_UdpConnect(benchmark::State& state) {
  Listener l;
  auto s = setup(static_cast<int>(state.range(0)), ntohs(l.addr().sin_port), state);
  if (!s) return;
  sockaddr_in dst = l.addr();
  for (auto _ : state) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) != 0) state.SkipWithError("connect failed");
    close(fd);
  }
  teardown(std::move(s));
}

void BM_TcpConnect(benchmark::State& state) {
  Listener l;
  auto s = setup(static_cast<int>(state.range(0)), ntohs(l.addr().sin_port), state);
  if (!s) return;
  sockaddr_in dst = l.addr();
  for (auto _ : state) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) != 0) state.SkipWithError("connect failed");
    close(fd);
  }
  teardown(std::move(s));
}

// -1: no agent; then the number of rules in the policy.
BENCHMARK(BM_UdpConnect)->Arg(-1)->Arg(1)->Arg(100)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_TcpConnect)->Arg(-1)->Arg(1)->Arg(100)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
