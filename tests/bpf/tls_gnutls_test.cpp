// TLS plaintext at GnuTLS in the kernel: gnutls-cli sends an HTTP request to an HTTPS server on
// 127.0.0.1. The library is probed the way the agent does at start-up, from the host's library
// directories, before the client starts.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "tests/bpf/tls/tls_fixture.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::CaptureSession;
using testing::Child;
using testing::HttpsServer;
using testing::TempDir;
using testing::TestCa;

TEST(TlsGnutlsTest, GnutlsCliRequestIsCapturedWithItsConnection) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto session = CaptureSession::start({}, UprobeScope::kPerFile);
  ZTAI_KERNEL_PREREQ(session ? Status{} : Status(session.error()));
  TempDir dir;
  auto ca = TestCa::create(dir);
  ASSERT_TRUE(ca) << ca.error().message();
  auto server = HttpsServer::start(*ca);
  ASSERT_TRUE(server) << server.error().message();

  ASSERT_GT((*session)->attacher().attach_system_libraries(), 0u);
  bool gnutls = false;
  for (const auto& f : (*session)->attacher().files()) gnutls |= f.targets.stack == TlsStack::kGnutls;
  ASSERT_TRUE(gnutls) << "no libgnutls in the host's library directories";

  std::string body = R"({"model":"claude-3-5-sonnet","messages":[{"role":"user","content":"ztai-gnutls-probe"}]})";
  std::string request = fmt::format(
      "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.size(),
      body);
  std::string script = fmt::format("printf '%s' '{}' | gnutls-cli --x509cafile {} -p {} 127.0.0.1", request,
                                   ca->ca_cert, server->port);
  auto client = Child::spawn({"sh", "-c", script});
  ASSERT_TRUE(client) << client.error().message();
  auto status = (*client)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status)) << (*client)->output();

  const DataChunk* sent = nullptr;
  ASSERT_TRUE((*session)->wait_until([&](const std::vector<DataChunk>& chunks) {
    for (const DataChunk& c : chunks) {
      if (c.direction == ChunkDirection::kEgress && c.data.find(body) != std::string::npos &&
          c.hdr.proc.tgid != static_cast<uint32_t>(server->process->pid())) {
        sent = &c;
      }
    }
    return sent != nullptr;
  })) << "gnutls-cli's request was not captured: " << (*client)->output();
  EXPECT_TRUE(sent->data.starts_with("POST /v1/messages HTTP/1.1\r\n"));
  ASSERT_TRUE(sent->remote.valid());
  EXPECT_EQ(sent->remote.port, server->port);
  EXPECT_EQ(sent->remote.addr.to_string(), "127.0.0.1");
}

}  // namespace
}  // namespace ztai
