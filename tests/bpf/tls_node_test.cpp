// TLS plaintext in node, whose binary links OpenSSL in and exports SSL_write/SSL_read: the node
// executable itself is probed. Node's TLS runs over memory BIOs (the ciphertext reaches the
// socket after SSL_write returns, from libuv), so no syscall happens inside the call: the records
// carry the process and the TLS session but no socket (ZTAI_DATA_NO_SOCKET), as this test states.
#include <stdlib.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <thread>

#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::Child;
using TlsNodeTest = testing::CaptureTest;

constexpr const char* kRequest =
    R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"ztai-node-probe: summarise /etc/passwd"}]})";

TEST_F(TlsNodeTest, NodeHttpsRequestIsCapturedAtTheExecutable) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;

  // A node that waits on stdin is found the way the agent finds it: by its executable.
  std::string script = fmt::format(
      "const https = require('https');\n"
      "const body = '{}';\n"
      "const req = https.request({{host: '127.0.0.1', port: {}, path: '/v1/chat/completions', method: 'POST',\n"
      "  headers: {{'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)}}}}, res => {{\n"
      "  let data = ''; res.on('data', d => data += d); res.on('end', () => console.log(data)); }});\n"
      "req.on('error', e => {{ console.error(e); process.exit(1); }});\n"
      "setTimeout(() => req.end(body), 500);\n",
      kRequest, server_.port);
  auto node = Child::spawn({"node", "-e", script}, {{"NODE_EXTRA_CA_CERTS", ca_.ca_cert}});
  ASSERT_TRUE(node) << node.error().message();
  pid_t pid = (*node)->pid();
  // node has started when /proc/PID/exe is node (not the forked test binary any more).
  for (int i = 0; i < 100; ++i) {
    char exe[4096];
    ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), exe, sizeof(exe) - 1);
    if (n > 0 && std::string_view(exe, static_cast<size_t>(n)).ends_with("/node")) break;
    std::this_thread::sleep_for(5ms);
  }
  auto attached = session_->attacher().scan_process(pid);
  ASSERT_TRUE(attached) << attached.error().message();
  ASSERT_GT(*attached, 0u) << "node's SSL_write was not found";
  bool node_file = false;
  for (const auto& f : session_->attacher().files()) {
    node_file |= f.targets.stack == TlsStack::kOpenssl && f.path.ends_with("/exe");
  }
  EXPECT_TRUE(node_file);

  auto status = (*node)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*node)->output();
  ASSERT_TRUE(session_->wait_for_server_reply(pid)) << "egress: " << session_->stream(pid, true);
  std::string out = session_->stream(pid, true);
  EXPECT_TRUE(out.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos) << out;
  uint64_t conn = 0;
  for (const DataChunk& c : session_->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(pid)) continue;
    EXPECT_FALSE(c.remote.valid()) << "node's memory BIOs make no syscall inside SSL_write/SSL_read";
    if (!conn) conn = c.conn_id;
    EXPECT_EQ(c.conn_id, conn) << "both directions belong to the one TLS session";
  }
}

}  // namespace
}  // namespace ztai
