// What network enforcement costs a connect(): UDP connect (no handshake, so the hook's share is
// visible) and TCP connect+close to a loopback listener, from a process in a cgroup of the
// benchmark's own, with nothing attached ("no agent") and with the egress programs attached and a
// policy of 1, 100 and 10,000 CIDR rules (the allowed destination is one of them). Needs root;
// attaches only to its own cgroup and removes it at the end. The fqdn case connects to an address
// allowed by a DNS answer (a test resolver on 127.0.0.2 answers 127.0.0.3): the prefix trie
// misses, the learnt address allows; the DNS programs also see every packet of the connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "agent/common/mounts.h"
#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/kernel/features.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/accepting_listener.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_resolver.h"

namespace ztai {
namespace {

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

// The fqdn case: the resolver, and the name rule that allows what it answers.
std::string fqdn_policy_text(const std::string& cgroup, uint16_t resolver_port, uint16_t port) {
  return fmt::format(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: bench }}\n"
      "spec:\n  selector: {{ cgroup: \"{}\" }}\n  egress:\n    default: deny\n    allow:\n"
      "      - {{ cidr: 127.0.0.2/32, ports: [{}], protocol: udp }}\n"
      "      - {{ fqdn: \"*.models.test\", ports: [{}] }}\n",
      cgroup, resolver_port, port);
}

// rules < 0: nothing loaded or attached. resolver: the fqdn case.
std::unique_ptr<Setup> setup(int rules, uint16_t tcp_port, benchmark::State& state,
                             const testing::TestResolver* resolver = nullptr) {
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
    s->enforcer =
        std::make_unique<enforce::NetworkEnforcer>(enforce::EgressMaps(enforce::egress_map_fds(*s->programs)));
    std::string relative = s->cgroup->path().substr(mount.size());
    std::string text = policy_text(relative, rules, tcp_port);
    if (resolver) {
      enforce::FqdnMaps fqdn(enforce::fqdn_map_fds(*s->programs));
      if (!s->attachment->fqdn() || !fqdn.set_times({3600'000'000'000ull, 0, 30'000'000'000ull}) ||
          !fqdn.set_resolvers({{*IpAddress::parse("127.0.0.2"), resolver->port()}})) {
        state.SkipWithError("the fqdn programs or maps are not available");
        return nullptr;
      }
      s->enforcer->enable_fqdn(fqdn);
      text = fqdn_policy_text(relative, resolver->port(), tcp_port);
    }
    auto parsed = policy::parse_policy_text(text, "bench.yaml");
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
  if (resolver) {
    // Asked from the cgroup while this process (and the resolver's thread) is still outside it.
    pid_t pid = s->cgroup->fork_into([&] { return testing::resolve_from("hub.models.test", resolver->port()); });
    int status = testing::TestCgroup::wait(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("the test resolver did not answer");
      if (s->enforcer) (void)s->enforcer->clear();
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
  if (s->enforcer && s->enforcer->fqdn_maps()) {
    (void)s->enforcer->fqdn_maps()->set_resolvers({});
    (void)s->enforcer->fqdn_maps()->sweep(UINT64_MAX);
  }
}

// Connects a socket of `type` to listener (then closes it) as often as the state asks, from the
// cgroup of the configuration `rules` (and resolver: setup()).
void connect_loop(benchmark::State& state, int type, const testing::AcceptingListener& listener, int rules,
                  const testing::TestResolver* resolver = nullptr) {
  auto s = setup(rules, listener.port(), state, resolver);
  if (!s) return;
  sockaddr_in dst = listener.addr();
  for (auto _ : state) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) != 0) state.SkipWithError("connect failed");
    close(fd);
  }
  teardown(std::move(s));
}

void BM_UdpConnect(benchmark::State& state) {
  testing::AcceptingListener l;
  connect_loop(state, SOCK_DGRAM, l, static_cast<int>(state.range(0)));
}

void BM_TcpConnect(benchmark::State& state) {
  testing::AcceptingListener l;
  connect_loop(state, SOCK_STREAM, l, static_cast<int>(state.range(0)));
}

// A TCP connect to an address a DNS answer allowed (a policy of a resolver rule and one fqdn rule).
void BM_TcpConnectFqdn(benchmark::State& state) {
  testing::AcceptingListener l("127.0.0.3");
  testing::TestResolver resolver(3600);
  connect_loop(state, SOCK_STREAM, l, 0, &resolver);
}

void BM_UdpConnectFqdn(benchmark::State& state) {
  testing::AcceptingListener l("127.0.0.3");
  testing::TestResolver resolver(3600);
  connect_loop(state, SOCK_DGRAM, l, 0, &resolver);
}

BENCHMARK(BM_UdpConnectFqdn)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_TcpConnectFqdn)->Repetitions(5)->ReportAggregatesOnly(true);

// -1: no agent; then the number of rules in the policy.
BENCHMARK(BM_UdpConnect)->Arg(-1)->Arg(1)->Arg(100)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_TcpConnect)->Arg(-1)->Arg(1)->Arg(100)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
