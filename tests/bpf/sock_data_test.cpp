// Plain HTTP on a selected port, captured at the socket syscalls: curl posts an Ollama chat
// request to a server on 127.0.0.1; the client's writes and the server's reads are captured with
// their connection, and traffic to a port that is not selected is not.
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

constexpr const char* kRequest = R"({"model":"llama3","messages":[{"role":"user","content":"ztai-plain-probe"}]})";

pid_t post(uint16_t port) {
  auto c = Child::spawn({"curl", "-sS", "--data-binary", kRequest, fmt::format("http://127.0.0.1:{}/api/chat", port)});
  EXPECT_TRUE(c) << c.error().message();
  if (!c) return -1;
  pid_t pid = (*c)->pid();
  auto status = (*c)->wait(30s);
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*c)->output();
  return pid;
}

TEST(SockDataTest, PlainHttpOnASelectedPortIsCapturedWithItsConnection) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto session = CaptureSession::start({}, UprobeScope::kPerFile);
  ZTAI_KERNEL_PREREQ(session ? Status{} : Status(session.error()));
  auto selected = HttpsServer::start_plain();
  ASSERT_TRUE(selected) << selected.error().message();
  auto other = HttpsServer::start_plain();
  ASSERT_TRUE(other) << other.error().message();
  ASSERT_TRUE((*session)->programs().capture_ports({selected->port}));

  pid_t ignored = post(other->port);
  pid_t curl = post(selected->port);
  ASSERT_TRUE((*session)->wait_until([&](const std::vector<DataChunk>&) {
    return (*session)->stream(curl, false).find("ztai-test-response") != std::string::npos;
  })) << "egress: " << (*session)->stream(curl, true);
  std::string out = (*session)->stream(curl, true);
  EXPECT_TRUE(out.starts_with("POST /api/chat HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos);
  for (const DataChunk& c : (*session)->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(curl)) continue;
    EXPECT_EQ(c.transport, ChunkTransport::kTcp);
    ASSERT_TRUE(c.remote.valid());
    EXPECT_EQ(c.remote.port, selected->port);
    EXPECT_EQ(c.remote.addr.to_string(), "127.0.0.1");
  }
  // The server's side: it read the request on the selected port (its local port).
  EXPECT_NE((*session)->stream(selected->process->pid(), false).find(kRequest), std::string::npos);
  EXPECT_EQ((*session)->stream(ignored, true), "");
  EXPECT_EQ((*session)->stream(other->process->pid(), false), "");
}

}  // namespace
}  // namespace ztai
