// TLS plaintext at GnuTLS in the kernel: gnutls-cli sends an HTTP request to an HTTPS server on
// 127.0.0.1. The library is probed the way the agent does at start-up, from the host's library
// directories, before the client starts.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::Child;
using TlsGnutlsTest = testing::CaptureTest;

TEST_F(TlsGnutlsTest, GnutlsCliRequestIsCapturedWithItsConnection) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;

  ASSERT_GT(session_->attacher().attach_system_libraries(), 0u);
  bool gnutls = false;
  for (const auto& f : session_->attacher().files()) gnutls |= f.targets.stack == TlsStack::kGnutls;
  ASSERT_TRUE(gnutls) << "no libgnutls in the host's library directories";

  std::string body = R"({"model":"claude-3-5-sonnet","messages":[{"role":"user","content":"ztai-gnutls-probe"}]})";
  std::string request = fmt::format(
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.size(),
      body);
  std::string script = fmt::format("printf '%s' '{}' | gnutls-cli --x509cafile {} -p {} 127.0.0.1", request,
                                   ca_.ca_cert, server_.port);
  auto client = Child::spawn({"sh", "-c", script});
  ASSERT_TRUE(client) << client.error().message();
  auto status = (*client)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status)) << (*client)->output();

  const DataChunk* sent = nullptr;
  ASSERT_TRUE(session_->wait_until([&](const std::vector<DataChunk>& chunks) {
    for (const DataChunk& c : chunks) {
      if (c.direction == ChunkDirection::kEgress && c.data.find(body) != std::string::npos &&
          c.hdr.proc.tgid != static_cast<uint32_t>(server_.process->pid())) {
        sent = &c;
      }
    }
    return sent != nullptr;
  })) << "gnutls-cli's request was not captured: " << (*client)->output();
  EXPECT_TRUE(sent->data.starts_with("POST /v1/messages HTTP/1.1\r\n"));
  ASSERT_TRUE(sent->remote.valid());
  EXPECT_EQ(sent->remote.port, server_.port);
  EXPECT_EQ(sent->remote.addr.to_string(), "127.0.0.1");
}

}  // namespace
}  // namespace ztai
