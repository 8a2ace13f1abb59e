// TLS plaintext at Go's crypto/tls in the kernel: a client built at test time with Debian's Go
// toolchain POSTs to an HTTPS server on 127.0.0.1. The probes sit at the entry and at every RET of
// (*Conn).Write and (*Conn).Read (no uretprobes on Go); calls are matched by goroutine.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "agent/capture/elf_file.h"
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

constexpr const char* kRequest =
    R"({"model":"llama3","messages":[{"role":"user","content":"ztai-go-probe: what is in ~/.ssh"}]})";

// Builds the test client; the build cache outlives the test so reruns take a second or two.
// stripped: without the symbol table (-s -w), so the functions are found in .gopclntab.
Result<std::string> build_go_client(const TempDir& dir, bool stripped = false) {
  std::string out = dir.file(stripped ? "go_client_stripped" : "go_client");
  auto go = Child::spawn({"go", "build", "-ldflags", stripped ? "-s -w" : "", "-o", out,
                          testing::tls_test_file("go_client/main.go")},
                         {{"GOCACHE", "/tmp/ztai-test-go-cache"}, {"GO111MODULE", "off"}, {"CGO_ENABLED", "0"}});
  if (!go) return go.error();
  auto status = (*go)->wait(180s);
  if (!status) return status.error();
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return make_error(ErrorCode::kIo, "go build failed: {}", (*go)->output());
  }
  return out;
}

TEST(TlsGoTest, GoClientRequestAndResponseArePlaintextWithTheirConnection) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto session = CaptureSession::start({}, UprobeScope::kPerFile);
  ZTAI_KERNEL_PREREQ(session ? Status{} : Status(session.error()));
  ASSERT_TRUE((*session)->programs().family_loaded("tls_go"));
  TempDir dir;
  auto ca = TestCa::create(dir);
  ASSERT_TRUE(ca) << ca.error().message();
  auto server = HttpsServer::start(*ca);
  ASSERT_TRUE(server) << server.error().message();
  auto client = build_go_client(dir);
  ASSERT_TRUE(client) << client.error().message();

  auto attached = (*session)->attacher().attach_file(*client);
  ASSERT_TRUE(attached) << attached.error().message();
  ASSERT_GE(*attached, 4u);  // two entries and at least one RET each
  ASSERT_EQ((*session)->attacher().files().size(), 1u);
  EXPECT_EQ((*session)->attacher().files()[0].targets.stack, TlsStack::kGo);
  EXPECT_TRUE((*session)->attacher().files()[0].targets.go_version.starts_with("go1."));
  // The same file again (another path to the same inode) is not attached twice.
  auto again = (*session)->attacher().attach_file(dir.path() + "/./go_client");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);

  auto run = Child::spawn({*client, ca->ca_cert, fmt::format("https://127.0.0.1:{}/v1/chat/completions", server->port),
                           kRequest});
  ASSERT_TRUE(run) << run.error().message();
  pid_t pid = (*run)->pid();
  auto status = (*run)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*run)->output();
  EXPECT_NE((*run)->output().find("ztai-test-response"), std::string::npos);

  ASSERT_TRUE((*session)->wait_until([&](const std::vector<DataChunk>&) {
    return (*session)->stream(pid, false).find("ztai-test-response") != std::string::npos;
  })) << "egress: " << (*session)->stream(pid, true);
  std::string out = (*session)->stream(pid, true);
  EXPECT_TRUE(out.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos) << out;
  EXPECT_TRUE((*session)->stream(pid, false).starts_with("HTTP/1.1 200 OK\r\n"));
  for (const DataChunk& c : (*session)->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(pid)) continue;
    ASSERT_TRUE(c.remote.valid()) << "Go chunk not tied to its socket";
    EXPECT_EQ(c.remote.addr.to_string(), "127.0.0.1");
    EXPECT_EQ(c.remote.port, server->port);
    EXPECT_NE(c.local.port, 0);
    EXPECT_EQ(c.lost_bytes, 0u);
  }
  EXPECT_EQ((*session)->decode_errors(), 0u);
}

TEST(TlsGoTest, StrippedGoBinaryIsFoundThroughItsPclntab) {
  ZTAI_KERNEL_PREREQ(testing::kernel_available());
  auto session = CaptureSession::start({}, UprobeScope::kPerFile);
  ZTAI_KERNEL_PREREQ(session ? Status{} : Status(session.error()));
  TempDir dir;
  auto ca = TestCa::create(dir);
  ASSERT_TRUE(ca) << ca.error().message();
  auto server = HttpsServer::start(*ca);
  ASSERT_TRUE(server) << server.error().message();
  auto client = build_go_client(dir, true);
  ASSERT_TRUE(client) << client.error().message();
  auto elf = ElfFile::open(*client);
  ASSERT_TRUE(elf);
  ASSERT_FALSE(elf->function("crypto/tls.(*Conn).Write")) << "the binary still has its symbol table";

  auto attached = (*session)->attacher().attach_file(*client);
  ASSERT_TRUE(attached) << attached.error().message();
  ASSERT_GE(*attached, 4u);
  auto run = Child::spawn({*client, ca->ca_cert, fmt::format("https://127.0.0.1:{}/v1/chat/completions", server->port),
                           kRequest});
  ASSERT_TRUE(run) << run.error().message();
  pid_t pid = (*run)->pid();
  auto status = (*run)->wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*run)->output();
  ASSERT_TRUE((*session)->wait_until([&](const std::vector<DataChunk>&) {
    return (*session)->stream(pid, false).find("ztai-test-response") != std::string::npos;
  }));
  EXPECT_NE((*session)->stream(pid, true).find(kRequest), std::string::npos);
}

}  // namespace
}  // namespace ztai
