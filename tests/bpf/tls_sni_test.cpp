// The server name of TLS that is not hooked: clients connect to an HTTPS server on 127.0.0.1
// asking for a given name (openssl s_client -servername, Python's ssl with server_hostname); the
// first write on each connection they make is captured when it is a ClientHello and the agent
// reads the name from it, with the connection's addresses and the client process.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::CaptureSession;
using testing::Child;
using testing::HttpsServer;
using TlsSniTest = testing::CaptureTest;

const TlsHelloPayload* hello_of(CaptureSession& session, pid_t pid) {
  for (const Event& e : session.hellos()) {
    if (e.hdr.proc.tgid == static_cast<uint32_t>(pid)) return e.as<TlsHelloPayload>();
  }
  return nullptr;
}

void expect_client(CaptureSession& session, const std::vector<std::string>& argv, const std::string& sni,
                   uint16_t port) {
  auto c = Child::spawn(argv);
  ASSERT_TRUE(c) << c.error().message();
  pid_t pid = (*c)->pid();
  auto status = (*c)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status)) << (*c)->output();
  const TlsHelloPayload* h = nullptr;
  session.wait_until([&](const std::vector<DataChunk>&) { return (h = hello_of(session, pid)) != nullptr; });
  ASSERT_NE(h, nullptr) << argv[0] << ": no ClientHello captured";
  ASSERT_TRUE(h->hello) << h->parse_error;
  EXPECT_EQ(h->hello->sni, sni);
  EXPECT_EQ(h->daddr.to_string(), "127.0.0.1");
  EXPECT_EQ(h->dport, port);
  EXPECT_NE(h->sport, 0);
}

TEST_F(TlsSniTest, ServerNameOfTheClientHelloIsReadForEachClient) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;
  ASSERT_TRUE(session_->programs().capture_tls_hello());

  std::string target = fmt::format("127.0.0.1:{}", server_.port);
  expect_client(*session_, {"openssl", "s_client", "-connect", target, "-servername", "llm.sni-probe.test", "-alpn", "h2"},
                "llm.sni-probe.test", server_.port);
  std::string py = fmt::format(
      "import socket, ssl\n"
      "c = ssl.create_default_context(cafile='{}')\n"
      "c.check_hostname = False\n"
      "s = c.wrap_socket(socket.create_connection(('127.0.0.1', {})), server_hostname='models.sni-probe.test')\n"
      "s.close()\n",
      ca_.ca_cert, server_.port);
  expect_client(*session_, {"python3", "-c", py}, "models.sni-probe.test", server_.port);

  // A plain (non-TLS) first write makes no record.
  auto plain = HttpsServer::start_plain();
  ASSERT_TRUE(plain) << plain.error().message();
  auto curl = Child::spawn({"curl", "-sS", fmt::format("http://127.0.0.1:{}/", plain->port)});
  ASSERT_TRUE(curl);
  pid_t curl_pid = (*curl)->pid();
  ASSERT_TRUE((*curl)->wait(30s));
  session_->wait_until([](const std::vector<DataChunk>&) { return false; }, 300ms);
  EXPECT_EQ(hello_of(*session_, curl_pid), nullptr);
}

}  // namespace
}  // namespace ztai
