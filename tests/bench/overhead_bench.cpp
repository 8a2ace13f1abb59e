// What the agent costs the workloads it watches. In one run, interleaved over several rounds:
// exec (fork+exec of /bin/true), open+close, TCP connect on loopback and getppid, measured with
// no agent, with an empty program on raw_syscalls/sys_enter (the floor any syscall sensor pays),
// and with `ztai run` on its default config. Prints ns/op (median of rounds) and the ratios.
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

// A loopback listener that accepts and closes in a thread, so connect() measures the handshake.
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
    connect_once();  // wakes accept()
    thread_.join();
    close(fd_);
  }
  void connect_once() const {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect(s, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    close(s);
  }

 private:
  int fd_;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
  Listener listener;
  std::vector<Op> ops = {
      {"exec (fork+exec /bin/true)", 200, fork_exec_true},
      {"open+close", 50000, [] { close(open("/etc/hostname", O_RDONLY | O_CLOEXEC)); }},
      {"TCP connect (loopback)", 3000, [&] { listener.connect_once(); }},
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
            "run", "--config", ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml", "--output", "/dev/null"});
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
