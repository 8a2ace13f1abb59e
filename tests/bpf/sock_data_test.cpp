// Plain HTTP on a selected port, captured at the socket syscalls: curl posts an Ollama chat
// request to a server on 127.0.0.1; the client's writes and the server's reads are captured with
// their connection, and traffic to a port that is not selected is not.
#include <gtest/gtest.h>

#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using testing::HttpsServer;
using SockDataTest = testing::CaptureTest;

constexpr const char* kRequest = R"({"model":"llama3","messages":[{"role":"user","content":"ztai-plain-probe"}]})";

pid_t post(uint16_t port) {
  return testing::run_client({"curl", "-sS", "--data-binary", kRequest, fmt::format("http://127.0.0.1:{}/api/chat", port)});
}

TEST_F(SockDataTest, PlainHttpOnASelectedPortIsCapturedWithItsConnection) {
  start_capture();
  if (HasFatalFailure() || IsSkipped()) return;
  auto selected = HttpsServer::start_plain();
  ASSERT_TRUE(selected) << selected.error().message();
  auto other = HttpsServer::start_plain();
  ASSERT_TRUE(other) << other.error().message();
  ASSERT_TRUE(session_->programs().capture_ports({selected->port}));

  pid_t ignored = post(other->port);
  pid_t curl = post(selected->port);
  ASSERT_TRUE(session_->wait_for_server_reply(curl)) << "egress: " << session_->stream(curl, true);
  std::string out = session_->stream(curl, true);
  EXPECT_TRUE(out.starts_with("POST /api/chat HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos);
  for (const DataChunk& c : session_->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(curl)) continue;
    EXPECT_EQ(c.transport, ChunkTransport::kTcp);
    ASSERT_TRUE(c.remote.valid());
    EXPECT_EQ(c.remote.port, selected->port);
    EXPECT_EQ(c.remote.addr.to_string(), "127.0.0.1");
  }
  // The server's side: it read the request on the selected port (its local port).
  EXPECT_NE(session_->stream(selected->process->pid(), false).find(kRequest), std::string::npos);
  EXPECT_EQ(session_->stream(ignored, true), "");
  EXPECT_EQ(session_->stream(other->process->pid(), false), "");
}

}  // namespace
}  // namespace ztai
