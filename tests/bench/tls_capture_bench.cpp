// Cost of TLS plaintext capture on an HTTPS request loop: 10,000 requests of 4 KiB over one
// keep-alive TLS 1.3 connection on 127.0.0.1, client in this process, server in a forked child,
// both on the system's libssl.so.3. Modes:
//   off            no programs loaded
//   file_capture   uprobes on the libssl file, every process captured (client and server)
//   file_filtered  uprobes on the file, capture scoped to cgroups and none listed: what a process
//                  outside the scope pays (the trap and an early return)
//   pid_capture    uprobes on this process only (the server child is not trapped)
// Each request makes one SSL_write and one SSL_read in the client and in the server. Run as
// root; the data ring is drained by a reader thread, and drops are reported.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/capture/tls_attacher.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/features.h"
#include "agent/kernel/preflight.h"
#include "agent/kernel/ring_reader.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

constexpr size_t kBody = 4096;
constexpr const char* kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::string g_dir;

// A test key and self-signed certificate for 127.0.0.1, made once with the openssl CLI.
void make_certificate() {
  char tmpl[] = "/tmp/ztai-tls-bench-XXXXXX";
  g_dir = mkdtemp(tmpl);
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + g_dir +
                    "/key.pem -out " + g_dir + "/cert.pem -days 1 -subj /CN=127.0.0.1 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "openssl failed\n");
    std::exit(1);
  }
}

bool read_exact(SSL* ssl, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    int r = SSL_read(ssl, buf + got, static_cast<int>(n - got));
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// The server child: one connection, answers every fixed-size request until the client leaves.
[[noreturn]] void serve(int listener, size_t request_size) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_file(ctx, (g_dir + "/cert.pem").c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx, (g_dir + "/key.pem").c_str(), SSL_FILETYPE_PEM);
  int fd = accept(listener, nullptr, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) _exit(1);
  std::string buf(request_size, '\0');
  while (read_exact(ssl, buf.data(), request_size)) {
    SSL_write(ssl, kResponse, static_cast<int>(strlen(kResponse)));
  }
  _exit(0);
}

struct Loop {
  pid_t server = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  int fd = -1;
  std::string request;

  void start() {
    std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4096\r\n\r\n";
    request = head + std::string(kBody, 'a');
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    listen(listener, 1);
    server = fork();
    if (server == 0) serve(listener, request.size());
    close(listener);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ctx = SSL_CTX_new(TLS_client_method());
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      std::fprintf(stderr, "TLS handshake failed\n");
      std::exit(1);
    }
  }

  bool request_once() {
    char resp[64];
    return SSL_write(ssl, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size()) &&
           read_exact(ssl, resp, strlen(kResponse));
  }

  void stop() {
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    waitpid(server, nullptr, 0);
  }
};

// Counts plaintext records only (the control ring carries process records too).
class CountingSink : public RecordSink {
 public:
  void on_record(std::span<const std::byte> r) override {
    ztai_event_header hdr;
    if (r.size() < sizeof(hdr)) return;
    std::memcpy(&hdr, r.data(), sizeof(hdr));
    if (hdr.type != ZTAI_EVENT_DATA) return;
    bytes += r.size();
    ++records;
  }
  uint64_t bytes = 0, records = 0;
};

enum Mode { kOff, kFileCapture, kFileFiltered, kPidCapture };

void BM_HttpsRequests(benchmark::State& state) {
  Mode mode = static_cast<Mode>(state.range(0));
  std::unique_ptr<BpfPrograms> programs;
  std::unique_ptr<TlsAttacher> attacher;
  CountingSink sink;
  std::unique_ptr<RingReader> reader;
  std::atomic<bool> stop{false};
  std::thread drain;

  Loop loop;
  if (mode != kOff) {
    if (Status s = run_preflight({}); !s) {
      state.SkipWithError(s.error().message().c_str());
      return;
    }
    LoaderSettings settings;
    settings.data_cgroups_only = mode == kFileFiltered;
    settings.families_off = {"file", "net", "dns", "blindspot", "cgroup"};
    auto p = BpfPrograms::load(settings, probe_kernel_features());
    if (!p) {
      state.SkipWithError(p.error().message().c_str());
      return;
    }
    programs = std::move(*p);
    attacher = std::make_unique<TlsAttacher>(*programs, mode == kPidCapture ? UprobeScope::kPerProcess : UprobeScope::kPerFile);
    auto r = RingReader::create(programs->control_ring_fd(), programs->data_ring_fd(), sink);
    reader = std::move(*r);
    drain = std::thread([&] {
      while (!stop) (void)reader->poll(1);
      (void)reader->poll(0);
    });
  }
  loop.start();
  if (attacher) {
    auto t0 = std::chrono::steady_clock::now();
    auto n = attacher->scan_process(getpid());
    state.counters["attach_ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!n || *n == 0) {
      state.SkipWithError("libssl not found in this process's maps");
      return;
    }
  }
  for (auto _ : state) {
    if (!loop.request_once()) {
      state.SkipWithError("request failed");
      break;
    }
  }
  loop.stop();
  if (programs) {
    stop = true;
    drain.join();
    auto c = programs->read_counters();
    state.counters["captured_MB"] = static_cast<double>(sink.bytes) / 1e6;
    state.counters["data_drops"] = c ? static_cast<double>(c->data_drops) : -1;
  }
  state.SetLabel(mode == kOff ? "off" : mode == kFileCapture ? "file_capture" : mode == kFileFiltered ? "file_filtered" : "pid_capture");
}

BENCHMARK(BM_HttpsRequests)->Arg(kOff)->Arg(kFileCapture)->Arg(kFileFiltered)->Arg(kPidCapture)
    ->Iterations(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ztai

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  ztai::make_certificate();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(ztai::g_dir, ec);
}
