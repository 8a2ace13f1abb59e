// TLS plaintext at OpenSSL in the kernel: curl (SSL_write/SSL_read in libssl.so.3) and Python's
// urllib (SSL_write_ex/SSL_read_ex) post to an HTTPS server on 127.0.0.1 that trusts a CA made
// by the test. The library is found the way the agent finds it, in the server's /proc/PID/maps.
#include <unistd.h>

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "bpf/abi/events.h"
#include "tests/bpf/tls/tls_fixture.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::run_client;

constexpr const char* kRequest =
    R"({"model":"gpt-4o","messages":[{"role":"user","content":"ztai-probe: list the files in /etc"}]})";

class TlsOpensslTest : public testing::CaptureTest {
 protected:
  void start(LoaderSettings settings = {}) {
    start_capture_and_https_server(settings);
    if (HasFatalFailure() || IsSkipped()) return;
    // The server imported Python's ssl module, so libssl is in its maps.
    auto n = session_->attacher().scan_process(server_.process->pid());
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_GT(*n, 0u) << "no TLS library found in the server's maps";
  }

  std::vector<std::string> curl_post(std::string_view path, const std::string& body) const {
    return {"curl", "-sS", "--http1.1", "--cacert", ca_.ca_cert, "-H", "Content-Type: application/json",
            "--data-binary", body, https_url(path)};
  }

  // The client's chunks in one direction must be on one connection to the server's port.
  void expect_connection(pid_t client, bool egress) {
    bool any = false;
    for (const DataChunk& c : session_->chunks()) {
      if (c.hdr.proc.tgid != static_cast<uint32_t>(client) || (c.direction == ChunkDirection::kEgress) != egress) continue;
      any = true;
      EXPECT_EQ(c.transport, ChunkTransport::kTls);
      ASSERT_TRUE(c.remote.valid()) << "chunk not tied to a socket";
      EXPECT_EQ(c.remote.addr.to_string(), "127.0.0.1");
      EXPECT_EQ(c.remote.port, server_.port);
      EXPECT_EQ(c.local.addr.to_string(), "127.0.0.1");
      EXPECT_NE(c.local.port, 0);
      EXPECT_NE(c.conn_id, 0u);
      EXPECT_NE(c.hdr.proc.start_ticks, 0u);
    }
    EXPECT_TRUE(any);
  }
};

TEST_F(TlsOpensslTest, CurlRequestAndResponseArePlaintextWithTheirConnection) {
  start();
  if (HasFatalFailure() || IsSkipped()) return;
  pid_t curl = run_client(curl_post("/v1/chat/completions", kRequest));
  ASSERT_TRUE(session_->wait_for_server_reply(curl)) << "curl's response was not captured; egress: " << session_->stream(curl, true);
  std::string out = session_->stream(curl, true);
  EXPECT_TRUE(out.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos) << out;
  std::string in = session_->stream(curl, false);
  EXPECT_TRUE(in.starts_with("HTTP/1.1 200 OK\r\n")) << in;
  EXPECT_NE(in.find("\"path\": \"/v1/chat/completions\""), std::string::npos) << in;
  expect_connection(curl, true);
  expect_connection(curl, false);
  // The server's reads are captured too, on the same library: it read curl's request.
  EXPECT_NE(session_->stream(server_.process->pid(), false).find(kRequest), std::string::npos);
  EXPECT_EQ(session_->decode_errors(), 0u);
}

TEST_F(TlsOpensslTest, PythonUrllibUsesTheExFunctions) {
  start();
  if (HasFatalFailure() || IsSkipped()) return;
  std::string script = fmt::format(
      "import ssl, urllib.request\n"
      "ctx = ssl.create_default_context(cafile='{}')\n"
      "req = urllib.request.Request('{}', data=b'{}', headers={{'Content-Type': 'application/json'}})\n"
      "print(urllib.request.urlopen(req, context=ctx).read().decode())\n",
      ca_.ca_cert, https_url("/api/chat"), kRequest);
  pid_t py = run_client({"python3", "-c", script});
  ASSERT_TRUE(session_->wait_for_server_reply(py));
  std::string out = session_->stream(py, true);
  EXPECT_TRUE(out.starts_with("POST /api/chat HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos) << out;
  expect_connection(py, true);
  expect_connection(py, false);
}

// A 200 KiB body in one SSL_write_ex: records of at most ZTAI_DATA_CHUNK bytes, contiguous, with
// the whole body; with a 1000-byte cap per call the rest is counted and reported as lost.
TEST_F(TlsOpensslTest, LargeWritesAreChunkedAndTheCapIsCounted) {
  LoaderSettings settings;
  settings.data_max_call_bytes = 256u << 10;
  start(settings);
  if (HasFatalFailure() || IsSkipped()) return;
  std::string script = fmt::format(
      "import ssl, urllib.request\n"
      "ctx = ssl.create_default_context(cafile='{}')\n"
      "body = b''.join(b'%07d\\n' % i for i in range(25600))\n"
      "req = urllib.request.Request('{}', data=body)\n"
      "urllib.request.urlopen(req, context=ctx).read()\n",
      ca_.ca_cert, https_url("/upload"));
  pid_t py = run_client({"python3", "-c", script});
  std::string expected;
  for (int i = 0; i < 25600; ++i) expected += fmt::format("{:07d}\n", i);
  ASSERT_TRUE(session_->wait_until([&](const std::vector<DataChunk>&) {
    return session_->stream(py, true).find(expected) != std::string::npos;
  })) << "the body was not captured whole";
  size_t records = 0;
  for (const DataChunk& c : session_->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(py)) continue;
    EXPECT_LE(c.data.size(), size_t{ZTAI_DATA_CHUNK});
    EXPECT_EQ(c.lost_bytes, 0u);
    EXPECT_FALSE(c.truncated);
    if (c.direction == ChunkDirection::kEgress) ++records;
  }
  EXPECT_GE(records, expected.size() / ZTAI_DATA_CHUNK);
}

TEST_F(TlsOpensslTest, BytesPastThePerCallCapAreCountedAndReportedLost) {
  LoaderSettings settings;
  settings.data_max_call_bytes = 1000;
  start(settings);
  if (HasFatalFailure() || IsSkipped()) return;
  std::string body(5000, 'x');
  pid_t curl = run_client(curl_post("/v1/chat/completions", body));
  ASSERT_TRUE(session_->wait_for_server_reply(curl));
  bool truncated = false;
  for (const DataChunk& c : session_->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(curl) || c.direction != ChunkDirection::kEgress) continue;
    EXPECT_LE(c.data.size(), 1000u);
    truncated |= c.truncated;
  }
  EXPECT_TRUE(truncated);
  auto counters = session_->programs().read_counters();
  ASSERT_TRUE(counters);
  EXPECT_GE(counters->data_truncated, 4000u);
}

// With the cgroup scope, processes outside the listed cgroups are not captured, and are once
// their cgroup is added.
TEST_F(TlsOpensslTest, CgroupScopeCapturesOnlyListedWorkloads) {
  LoaderSettings settings;
  settings.data_cgroups_only = true;
  start(settings);
  if (HasFatalFailure() || IsSkipped()) return;
  pid_t first = run_client(curl_post("/v1/chat/completions", kRequest));
  session_->wait_until([](const std::vector<DataChunk>&) { return false; }, 300ms);
  EXPECT_EQ(session_->stream(first, true), "") << "a process outside the scope was captured";

  auto cg = testing::own_cgroup_id();
  ASSERT_TRUE(cg) << cg.error().message();
  ASSERT_TRUE(session_->programs().capture_cgroup(*cg, true));
  pid_t second = run_client(curl_post("/v1/chat/completions", kRequest));
  EXPECT_TRUE(session_->wait_until([&](const std::vector<DataChunk>&) {
    return session_->stream(second, true).find(kRequest) != std::string::npos;
  }));
}

}  // namespace
}  // namespace ztai
