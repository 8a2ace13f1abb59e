// What the TLS capture tests share: a test CA and server certificate made with the openssl CLI,
// an HTTPS server on 127.0.0.1, child processes the test starts (and only those are signalled),
// a capture session that loads the programs and collects DataChunks from the data ring, and the
// fixture that starts them.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/capture/data_decoder.h"
#include "agent/capture/tls_attacher.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/ring_reader.h"
#include "tests/support/temp_dir.h"

namespace ztai::testing {

// A process the test started; killed (SIGKILL) and reaped when destroyed if still running.
class Child {
 public:
  static Result<std::unique_ptr<Child>> spawn(const std::vector<std::string>& argv,
                                              const std::map<std::string, std::string>& env = {});
  ~Child();
  pid_t pid() const { return pid_; }
  // Reads stdout up to a line starting with prefix; returns the line.
  Result<std::string> read_line_starting(std::string_view prefix, std::chrono::milliseconds timeout);
  // Waits for exit; returns the wait status, or an error on timeout (the child is then killed).
  Result<int> wait(std::chrono::milliseconds timeout);
  // All of stdout after exit.
  std::string output();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
};

// CA, server certificate for 127.0.0.1 and localhost.
struct TestCa {
  static Result<TestCa> create(const TempDir& dir);
  std::string ca_cert, server_cert, server_key;
};

struct HttpsServer {
  // llm: POSTs to /v1/chat/completions and /v1/messages are answered as OpenAI and Anthropic
  // would, with a tool call.
  static Result<HttpsServer> start(const TestCa& ca, bool llm = false);
  // Plain HTTP, for socket capture.
  static Result<HttpsServer> start_plain();
  std::unique_ptr<Child> process;
  uint16_t port = 0;
};

class CaptureSession : public RecordSink {
 public:
  static Result<std::unique_ptr<CaptureSession>> start(LoaderSettings settings, UprobeScope scope);
  void on_record(std::span<const std::byte> record) override;

  BpfPrograms& programs() { return *programs_; }
  TlsAttacher& attacher() { return *attacher_; }
  // Polls until pred holds for the chunks collected so far, or the timeout passes.
  bool wait_until(const std::function<bool(const std::vector<DataChunk>&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::vector<DataChunk>& chunks() const { return chunks_; }
  // tls_client_hello events decoded from the data ring.
  const std::vector<Event>& hellos() const { return hellos_; }
  size_t decode_errors() const { return decode_errors_; }
  // Bytes of one process's stream in a direction, concatenated in record order.
  std::string stream(pid_t pid, bool egress) const;
  // Polls until the test server's reply (https_server.py's "ztai-test-response") is in pid's
  // ingress stream.
  bool wait_for_server_reply(pid_t pid);

 private:
  std::unique_ptr<BpfPrograms> programs_;
  std::unique_ptr<TlsAttacher> attacher_;
  std::unique_ptr<RingReader> reader_;
  DataDecoder decoder_;
  std::vector<DataChunk> chunks_;
  std::vector<Event> hellos_;
  size_t decode_errors_ = 0;
};

// Runs a client to completion; its pid. A client that cannot start, or does not exit with status 0
// within 30 s, is a test failure (its output in the message) and gives -1.
pid_t run_client(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                 std::string* output = nullptr);

// A test that captures: start_capture loads the programs, skipping (failing under
// ZTAI_REQUIRE_BPF=1) where they cannot load. A test body that starts it returns when
// HasFatalFailure() || IsSkipped().
class CaptureTest : public ::testing::Test {
 protected:
  void start_capture(LoaderSettings settings = {});
  // start_capture, then a CA in dir_ and an HTTPS server on 127.0.0.1 with its certificate.
  // llm_server: the server answers as the OpenAI and Anthropic APIs would (HttpsServer::start).
  void start_capture_and_https_server(LoaderSettings settings = {}, bool llm_server = false);
  std::string https_url(std::string_view path) const;

  std::unique_ptr<CaptureSession> session_;
  TempDir dir_{"ztai-tls"};
  TestCa ca_;
  HttpsServer server_;
};

// A file of tests/bpf/tls in the source tree.
std::string tls_test_file(std::string_view name);

}  // namespace ztai::testing
