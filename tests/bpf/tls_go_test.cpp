// TLS plaintext at Go's crypto/tls in the kernel: a client built at test time with Debian's Go
// toolchain POSTs to an HTTPS server on 127.0.0.1. The probes sit at the entry and at every RET of
// (*Conn).Write and (*Conn).Read (no uretprobes on Go); calls are matched by goroutine.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "agent/capture/elf_file.h"
#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::Child;
using testing::TempDir;

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

using TlsGoTest = testing::CaptureTest;

TEST_F(TlsGoTest, GoClientRequestAndResponseArePlaintextWithTheirConnection) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;
  ASSERT_TRUE(session_->programs().family_loaded("tls_go"));
  auto client = build_go_client(dir_);
  ASSERT_TRUE(client) << client.error().message();

  auto attached = session_->attacher().attach_file(*client);
  ASSERT_TRUE(attached) << attached.error().message();
  ASSERT_GE(*attached, 4u);  // two entries and at least one RET each
  ASSERT_EQ(session_->attacher().files().size(), 1u);
  EXPECT_EQ(session_->attacher().files()[0].targets.stack, TlsStack::kGo);
  EXPECT_TRUE(session_->attacher().files()[0].targets.go_version.starts_with("go1."));
  // The same file again (another path to the same inode) is not attached twice.
  auto again = session_->attacher().attach_file(dir_.path() + "/./go_client");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);

  std::string output;
  pid_t pid = testing::run_client({*client, ca_.ca_cert, https_url("/v1/chat/completions"), kRequest}, {}, &output);
  ASSERT_GT(pid, 0);
  EXPECT_NE(output.find("ztai-test-response"), std::string::npos);

  ASSERT_TRUE(session_->wait_for_server_reply(pid)) << "egress: " << session_->stream(pid, true);
  std::string out = session_->stream(pid, true);
  EXPECT_TRUE(out.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << out;
  EXPECT_NE(out.find(kRequest), std::string::npos) << out;
  EXPECT_TRUE(session_->stream(pid, false).starts_with("HTTP/1.1 200 OK\r\n"));
  for (const DataChunk& c : session_->chunks()) {
    if (c.hdr.proc.tgid != static_cast<uint32_t>(pid)) continue;
    ASSERT_TRUE(c.remote.valid()) << "Go chunk not tied to its socket";
    EXPECT_EQ(c.remote.addr.to_string(), "127.0.0.1");
    EXPECT_EQ(c.remote.port, server_.port);
    EXPECT_NE(c.local.port, 0);
    EXPECT_EQ(c.lost_bytes, 0u);
  }
  EXPECT_EQ(session_->decode_errors(), 0u);
}

TEST_F(TlsGoTest, StrippedGoBinaryIsFoundThroughItsPclntab) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;
  auto client = build_go_client(dir_, true);
  ASSERT_TRUE(client) << client.error().message();
  auto elf = ElfFile::open(*client);
  ASSERT_TRUE(elf);
  ASSERT_FALSE(elf->function("crypto/tls.(*Conn).Write")) << "the binary still has its symbol table";

  auto attached = session_->attacher().attach_file(*client);
  ASSERT_TRUE(attached) << attached.error().message();
  ASSERT_GE(*attached, 4u);
  pid_t pid = testing::run_client({*client, ca_.ca_cert, https_url("/v1/chat/completions"), kRequest});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(session_->wait_for_server_reply(pid));
  EXPECT_NE(session_->stream(pid, true).find(kRequest), std::string::npos);
}

}  // namespace
}  // namespace ztai
