// What the TLS capture tests share: a test CA and server certificate made with the openssl CLI,
// an HTTPS server on 127.0.0.1, child processes the test starts (and only those are signalled),
// and a capture session that loads the programs and collects DataChunks from the data ring.
#pragma once

#include <sys/types.h>

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

namespace ztai::testing {

// A temporary directory removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

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

 private:
  std::unique_ptr<BpfPrograms> programs_;
  std::unique_ptr<TlsAttacher> attacher_;
  std::unique_ptr<RingReader> reader_;
  DataDecoder decoder_;
  std::vector<DataChunk> chunks_;
  std::vector<Event> hellos_;
  size_t decode_errors_ = 0;
};

// A file of tests/bpf/tls in the source tree.
std::string tls_test_file(std::string_view name);

}  // namespace ztai::testing
