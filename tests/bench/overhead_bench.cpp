// What the agent costs the workloads it watches. In one run, interleaved over several rounds:
// exec (fork+exec of /bin/true), open+close, TCP and UDP connect on loopback, a DNS lookup against
// a resolver on 127.0.0.77, and getppid, measured with no agent, with an empty program on
// raw_syscalls/sys_enter (the floor any syscall sensor pays), and with `ztai run` on its default
// config and the default rule pack. Prints ns/op (median of rounds) and the ratios.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/e2e/support/agent_process.h"
#include "tests/support/accepting_listener.h"
#include "ztai_bench_floor.skel.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Op {
  std::string name;
  int iterations;
  std::function<void()> run;
};

double ns_per_op(const Op& op) {
  auto start = Clock::now();
  for (int i = 0; i < op.iterations; ++i) op.run();
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / op.iterations;
}

// A stub resolver on 127.0.0.77:53 answering every A query with 127.0.0.88, so a lookup costs
// what a process pays to ask, with no network beyond loopback.
class LocalResolver {
 public:
  static constexpr const char* kAddress = "127.0.0.77";

  LocalResolver() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(53);
    inet_pton(AF_INET, kAddress, &addr_.sin_addr);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_)) == 0;
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~LocalResolver() {
    shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  bool ok() const { return ok_; }

  // What a C library does for one lookup: a connected UDP socket, the query, the answer.
  void lookup() const {
    static const uint8_t kQuery[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,  5, 'm', 'o', 'd', 'e', 'l',
                                     4,    'z',  't',  'a',  'i', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    connect(s, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    send(s, kQuery, sizeof(kQuery), 0);
    uint8_t buf[512];
    recv(s, buf, sizeof(buf), 0);
    close(s);
  }

 private:
  void serve() {
    uint8_t buf[512];
    for (;;) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf) - 16, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) return;
      buf[2] = 0x81;  // a response, recursion available
      buf[3] = 0x80;
      buf[7] = 1;  // one answer: the question's name, A, IN, TTL 60, 127.0.0.88
      const uint8_t answer[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 88};
      std::copy(std::begin(answer), std::end(answer), buf + n);
      sendto(fd_, buf, static_cast<size_t>(n) + sizeof(answer), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  int fd_ = -1;
  bool ok_ = false;
  sockaddr_in addr_{};
  std::thread thread_;
};

// A UDP socket connected to loopback: what every UDP client pays before its first datagram.
void udp_connect_once(const sockaddr_in& to) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  close(s);
}

void fork_exec_true() {
  pid_t p = fork();
  if (p == 0) {
    execl("/bin/true", "true", nullptr);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  ztai::testing::AcceptingListener listener;
  LocalResolver resolver;
  if (!resolver.ok()) {
    fmt::print(stderr, "cannot bind {}:53 for the DNS lookup (run as root)\n", LocalResolver::kAddress);
    return 1;
  }
  sockaddr_in udp_peer{};
  udp_peer.sin_family = AF_INET;
  udp_peer.sin_port = htons(9);
  udp_peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<Op> ops = {
      {"exec (fork+exec /bin/true)", 200, fork_exec_true},
      // No default rule names /etc/hostname: the kernel filter drops it.
      {"open+close (unmonitored)", 50000, [] { close(open("/etc/hostname", O_RDONLY | O_CLOEXEC)); }},
      // /usr/bin/ is a prefix the default rules watch (writes below binary directories): the read
      // is emitted and evaluated, and raises no alert.
      {"open+close (monitored)", 50000, [] { close(open("/usr/bin/true", O_RDONLY | O_CLOEXEC)); }},
      {"TCP connect (loopback)", 3000, [&] { listener.connect_once(); }},
      {"UDP connect (loopback)", 20000, [&] { udp_connect_once(udp_peer); }},
      {"DNS lookup (local resolver)", 5000, [&] { resolver.lookup(); }},
      {"getppid", 300000, [] { (void)getppid(); }},
  };
  const std::vector<std::string> conditions = {"no agent", "empty sys_enter", "ztai run"};
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;  // op -> condition -> ns

  for (int r = 0; r < rounds; ++r) {
    for (const std::string& cond : conditions) {
      ztai_bench_floor* floor = nullptr;
      std::unique_ptr<ztai::testing::AgentProcess> agent;
      if (cond == "empty sys_enter") {
        floor = ztai_bench_floor__open_and_load();
        if (!floor || ztai_bench_floor__attach(floor)) {
          fmt::print(stderr, "cannot load the empty program (run as root)\n");
          return 1;
        }
      } else if (cond == "ztai run") {
        agent = std::make_unique<ztai::testing::AgentProcess>(std::vector<std::string>{
            "run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--rules", ZTAI_SOURCE_DIR "/rules/host",
            "--output", "/dev/null"});
        if (!agent->ready()) {
          fmt::print(stderr, "the agent did not start:\n{}\n", agent->stderr_text());
          return 1;
        }
      }
      for (const Op& op : ops) samples[op.name][cond].push_back(ns_per_op(op));
      if (floor) ztai_bench_floor__destroy(floor);
      agent.reset();
    }
  }

  fmt::print("\nSyscall cost with and without ztai ({} rounds, median ns/op)\n\n", rounds);
  fmt::print("| {:<28} | {:>10} | {:>16} | {:>10} | {:>11} | {:>10} |\n", "operation", "no agent",
             "empty sys_enter", "ztai run", "vs no agent", "vs floor");
  fmt::print("|{:-<30}|{:->12}|{:->18}|{:->12}|{:->13}|{:->12}|\n", "", "", "", "", "", "");
  for (const Op& op : ops) {
    double base = median(samples[op.name]["no agent"]);
    double floor = median(samples[op.name]["empty sys_enter"]);
    double agent = median(samples[op.name]["ztai run"]);
    fmt::print("| {:<28} | {:>10.0f} | {:>9.0f} ({:.2f}x) | {:>10.0f} | {:>10.2f}x | {:>9.2f}x |\n", op.name, base, floor,
               floor / base, agent, agent / base, agent / floor);
  }
  return 0;
}
