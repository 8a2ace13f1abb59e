// What the read/write capture (bpf/sock_data.bpf.c) costs a process it does not capture, and what
// the ClientHello capture costs a TCP connection: write(2) of 64 bytes to /dev/null, the same
// through a UNIX socket pair (write and read), and connect +
// first write of a recorded ClientHello (517 bytes) + close on loopback, with no programs loaded
// (0), every family but sock_data loaded (1: the floor, as their syscall tracepoints already send
// every syscall through the kernel's tracing slow path), sock_data loaded with every capture off
// (2), with the default plain ports listed (3), and with ports, stdio and ClientHello capture on
// (4). Needs root; the TLS uprobe families are
// off, so only sock_data and the sensors run, except in mode 5: the floor plus the tls family
// (OpenSSL/GnuTLS) loaded with no library probed, what every process pays for it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include <benchmark/benchmark.h>

#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/features.h"
#include "agent/kernel/preflight.h"
#include "agent/kernel/ring_reader.h"

namespace ztai {
namespace {

struct Counter : RecordSink {
  void on_record(std::span<const std::byte>) override { ++records; }
  size_t records = 0;
};

struct Capture {
  std::unique_ptr<BpfPrograms> programs;
  std::unique_ptr<RingReader> reader;
  Counter sink;
  int mode = 0;
};

enum Mode { kNone, kFloor, kIdle, kPorts, kAll, kTls };

Capture& capture() {
  static Capture c;
  return c;
}

// Brings the capture to `mode`; false (and the benchmark skipped) when the kernel cannot load it.
bool switch_to(int mode, benchmark::State& state) {
  Capture& c = capture();
  // Captures cannot be switched off, and the floor and tls modes load other families: those start
  // from nothing.
  const bool adds_captures = c.mode >= kIdle && c.mode <= kAll && mode > c.mode && mode <= kAll;
  if (c.programs && mode != c.mode && !adds_captures) {
    c.reader.reset();
    c.programs.reset();
    c.mode = kNone;
  }
  if (mode == kNone) return true;
  if (!c.programs) {
    if (Status s = run_preflight({}); !s) {
      state.SkipWithError(s.error().message().c_str());
      return false;
    }
    LoaderSettings settings;
    settings.families_off = {"tls_go"};
    if (mode != kTls) settings.families_off.push_back("tls");
    if (mode == kFloor || mode == kTls) settings.families_off.push_back("sock_data");
    auto p = BpfPrograms::load(settings, probe_kernel_features());
    if (!p) {
      state.SkipWithError(p.error().message().c_str());
      return false;
    }
    c.programs = std::move(*p);
    auto r = RingReader::create(c.programs->control_ring_fd(), c.programs->data_ring_fd(), c.sink);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      return false;
    }
    c.reader = std::move(*r);
  }
  if (mode >= kPorts && mode <= kAll && c.mode < kPorts) (void)c.programs->capture_ports({11434, 8000});
  if (mode == kAll && c.mode < kAll) {
    (void)c.programs->capture_stdio();
    (void)c.programs->capture_tls_hello();
  }
  c.mode = mode;
  return true;
}

void drain() {
  if (capture().reader) (void)capture().reader->poll(0);
}

void BM_Write64(benchmark::State& state) {
  if (!switch_to(static_cast<int>(state.range(0)), state)) return;
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  char buf[64] = {};
  for (auto _ : state) benchmark::DoNotOptimize(write(fd, buf, sizeof(buf)));
  close(fd);
  drain();
}

// Socket I/O, which the tls family's socket hooks see: 64 B written to one end of a UNIX datagram
// socket pair and read from the other.
void BM_SocketPair64(benchmark::State& state) {
  if (!switch_to(static_cast<int>(state.range(0)), state)) return;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("no socket pair");
    return;
  }
  char buf[64] = {};
  for (auto _ : state) {
    benchmark::DoNotOptimize(write(sv[0], buf, sizeof(buf)));
    benchmark::DoNotOptimize(read(sv[1], buf, sizeof(buf)));
  }
  close(sv[0]);
  close(sv[1]);
  drain();
}

void BM_ConnectClientHello(benchmark::State& state) {
  if (!switch_to(static_cast<int>(state.range(0)), state)) return;
  std::ifstream in(std::string(ZTAI_SOURCE_DIR) + "/tests/unit/protocols/data/curl.clienthello", std::ios::binary);
  std::string hello{std::istreambuf_iterator<char>(in), {}};
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) || listen(lfd, 4096) ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len)) {
    state.SkipWithError("no loopback listener");
    close(lfd);
    return;
  }
  std::atomic<bool> stop = false;
  std::thread acceptor([&] {
    char buf[4096];
    while (!stop) {
      int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      while (read(c, buf, sizeof(buf)) > 0) {
      }
      close(c);
    }
  });
  size_t n = 0;
  const size_t records_before = capture().sink.records;
  for (auto _ : state) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
      benchmark::DoNotOptimize(write(fd, hello.data(), hello.size()));
    }
    close(fd);
    if (++n % 256 == 0) {
      state.PauseTiming();
      drain();
      state.ResumeTiming();
    }
  }
  stop = true;
  shutdown(lfd, SHUT_RDWR);
  acceptor.join();
  close(lfd);
  drain();
  state.counters["records"] = static_cast<double>(capture().sink.records - records_before);
}

BENCHMARK(BM_Write64)->Arg(kNone)->Arg(kFloor)->Arg(kIdle)->Arg(kPorts)->Arg(kAll)->Arg(kTls);
BENCHMARK(BM_SocketPair64)->Arg(kNone)->Arg(kFloor)->Arg(kIdle)->Arg(kPorts)->Arg(kAll)->Arg(kTls);
BENCHMARK(BM_ConnectClientHello)->Arg(kNone)->Arg(kFloor)->Arg(kAll)->Arg(kTls)->Iterations(20000);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
