#include "tests/bpf/tls/tls_fixture.h"

#include "agent/events/decoder.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "agent/kernel/features.h"
#include "agent/kernel/preflight.h"
#include "bpf/abi/events.h"
#include "tests/support/kernel_test.h"

namespace ztai::testing {

Result<std::unique_ptr<Child>> Child::spawn(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe: {}", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) return make_error(ErrorCode::kIo, "fork: {}", strerror(errno));
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  auto c = std::make_unique<Child>();
  c->pid_ = pid;
  c->out_fd_ = fds[0];
  return c;
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

Result<std::string> Child::read_line_starting(std::string_view prefix, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t start = 0;
    for (size_t nl; (nl = buffered_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffered_.substr(start, nl - start);
      if (line.starts_with(prefix)) {
        buffered_.erase(0, nl + 1);
        return line;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return make_error(ErrorCode::kIo, "no line starting with '{}' in: {}", prefix, buffered_);
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) return make_error(ErrorCode::kIo, "output ended before a line starting with '{}': {}", prefix, buffered_);
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

Result<int> Child::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    // Drain stdout so a chatty child cannot block on a full pipe.
    pollfd p{out_fd_, POLLIN, 0};
    while (poll(&p, 1, 0) > 0) {
      char buf[4096];
      ssize_t n = read(out_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      buffered_.append(buf, static_cast<size_t>(n));
    }
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return make_error(ErrorCode::kIo, "child did not exit in {} ms", timeout.count());
}

std::string Child::output() {
  char buf[4096];
  ssize_t n;
  while ((n = read(out_fd_, buf, sizeof(buf))) > 0) buffered_.append(buf, static_cast<size_t>(n));
  return buffered_;
}

namespace {

// Runs argv to completion within 30 s; its pid, or an error unless it exited with status 0. The
// output of one that exited is kept in *output (read only then: a hung child never closes it).
Result<pid_t> run_to_success(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             std::string* output) {
  auto c = Child::spawn(argv, env);
  if (!c) return c.error();
  pid_t pid = (*c)->pid();
  auto status = (*c)->wait(std::chrono::seconds(30));
  if (!status) return make_error(ErrorCode::kIo, "{}: {}", argv[0], status.error().message());
  std::string out = (*c)->output();
  if (output) *output = out;
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return make_error(ErrorCode::kIo, "{} failed (status {:#x}): {}", argv[0], *status, out);
  }
  return pid;
}

}  // namespace

Result<TestCa> TestCa::create(const TempDir& dir) {
  TestCa ca{dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key")};
  std::string ca_key = dir.file("ca.key"), csr = dir.file("server.csr"), ext = dir.file("server.ext");
  FILE* f = fopen(ext.c_str(), "w");
  if (!f) return make_error(ErrorCode::kIo, "{}: {}", ext, strerror(errno));
  fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n", f);
  fclose(f);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", ca_key, "-out", ca.ca_cert, "-days", "1", "-subj", "/CN=ztai test CA"},
           {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            ca.server_key, "-out", csr, "-subj", "/CN=localhost"},
           {"openssl", "x509", "-req", "-in", csr, "-CA", ca.ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out",
            ca.server_cert, "-days", "1", "-extfile", ext}}) {
    if (auto done = run_to_success(cmd, {}, nullptr); !done) return done.error();
  }
  return ca;
}

namespace {

Result<HttpsServer> start_server(const std::vector<std::string>& argv) {
  auto child = Child::spawn(argv);
  if (!child) return child.error();
  auto line = (*child)->read_line_starting("PORT ", std::chrono::seconds(10));
  if (!line) return line.error();
  HttpsServer s;
  s.port = static_cast<uint16_t>(std::stoi(line->substr(5)));
  s.process = std::move(*child);
  return s;
}

}  // namespace

Result<HttpsServer> HttpsServer::start(const TestCa& ca, bool llm) {
  std::vector<std::string> argv{"python3", tls_test_file("https_server.py"), "--cert", ca.server_cert, "--key", ca.server_key};
  if (llm) argv.push_back("--llm");
  return start_server(argv);
}

Result<HttpsServer> HttpsServer::start_plain() {
  return start_server({"python3", tls_test_file("https_server.py"), "--plain"});
}

Result<std::unique_ptr<CaptureSession>> CaptureSession::start(LoaderSettings settings, UprobeScope scope) {
  if (Status s = run_preflight({}); !s) return s.error();
  settings.self_tgid = static_cast<uint32_t>(getpid());
  auto programs = BpfPrograms::load(settings, probe_kernel_features());
  if (!programs) return programs.error();
  for (const char* family : {"tls", "tls_go", "sock_data"}) {
    if (!(*programs)->family_loaded(family)) return make_error(ErrorCode::kUnsupported, "the {} family did not load", family);
  }
  auto c = std::make_unique<CaptureSession>();
  c->programs_ = std::move(*programs);
  c->attacher_ = std::make_unique<TlsAttacher>(*c->programs_, scope);
  auto reader = RingReader::create(c->programs_->control_ring_fd(), c->programs_->data_ring_fd(), *c);
  if (!reader) return reader.error();
  c->reader_ = std::move(*reader);
  return c;
}

void CaptureSession::on_record(std::span<const std::byte> record) {
  ztai_event_header hdr;
  if (record.size() < sizeof(hdr)) return;
  std::memcpy(&hdr, record.data(), sizeof(hdr));
  if (hdr.type == ZTAI_EVENT_TLS_CLIENT_HELLO) {
    auto e = decode_record(record);
    if (e) hellos_.push_back(std::move(*e));
    else ++decode_errors_;
    return;
  }
  if (hdr.type != ZTAI_EVENT_DATA) return;
  auto chunk = decoder_.decode(record);
  if (chunk) chunks_.push_back(std::move(*chunk));
  else ++decode_errors_;
}

bool CaptureSession::wait_until(const std::function<bool(const std::vector<DataChunk>&)>& pred,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    (void)reader_->poll(10);
    if (pred(chunks_)) return true;
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

std::string CaptureSession::stream(pid_t pid, bool egress) const {
  std::string out;
  for (const DataChunk& c : chunks_) {
    if (c.hdr.proc.tgid == static_cast<uint32_t>(pid) && (c.direction == ChunkDirection::kEgress) == egress) out += c.data;
  }
  return out;
}

bool CaptureSession::wait_for_server_reply(pid_t pid) {
  return wait_until([&](const std::vector<DataChunk>&) {
    return stream(pid, false).find("ztai-test-response") != std::string::npos;
  });
}

pid_t run_client(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 std::string* output) {
  auto pid = run_to_success(argv, env, output);
  EXPECT_TRUE(pid) << pid.error().message();
  return pid ? *pid : -1;
}

void CaptureTest::start_capture(LoaderSettings settings) {
  ZTAI_KERNEL_PREREQ(kernel_available());
  auto session = CaptureSession::start(settings, UprobeScope::kPerFile);
  ZTAI_KERNEL_PREREQ(session ? Status{} : Status(session.error()));
  session_ = std::move(*session);
}

void CaptureTest::start_capture_and_https_server(LoaderSettings settings, bool llm_server) {
  start_capture(settings);
  if (HasFatalFailure() || IsSkipped()) return;
  auto ca = TestCa::create(dir_);
  ASSERT_TRUE(ca) << ca.error().message();
  ca_ = *ca;
  auto server = HttpsServer::start(ca_, llm_server);
  ASSERT_TRUE(server) << server.error().message();
  server_ = std::move(*server);
}

std::string CaptureTest::https_url(std::string_view path) const {
  return fmt::format("https://127.0.0.1:{}{}", server_.port, path);
}

std::string tls_test_file(std::string_view name) { return std::string(ZTAI_SOURCE_DIR) + "/tests/bpf/tls/" + std::string(name); }

}  // namespace ztai::testing
