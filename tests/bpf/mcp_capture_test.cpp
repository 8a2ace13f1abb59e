// MCP with the real SDK (@modelcontextprotocol/sdk) client and server: over stdio, the server's
// pipes are captured (the client selected as the agent selects it, its child inheriting in the
// kernel) and its tools/call decoded into an mcp_message tied to the server and its client; over
// Streamable HTTP on 127.0.0.1, the client's socket is captured on the server's port and the
// tools/call in the POST body decoded.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "agent/capture/stdio_selector.h"
#include "agent/protocols/stream/conversation_tracker.h"
#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::CaptureSession;
using testing::Child;
using McpCaptureTest = testing::CaptureTest;

constexpr const char* kProbePath = "/srv/notes/ztai-mcp-probe.txt";

std::string mcp_file(std::string_view name) { return std::string(ZTAI_SOURCE_DIR) + "/tests/bpf/mcp/" + std::string(name); }

std::map<std::string, std::string> node_env(std::string delay_ms = "0") {
  return {{"NODE_PATH", ZTAI_NODE_MODULES}, {"ZTAI_TEST_DELAY_MS", std::move(delay_ms)}};
}

std::vector<std::string> cmdline(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/cmdline", pid));
  std::vector<std::string> argv;
  for (std::string a; std::getline(f, a, '\0');) argv.push_back(a);
  return argv;
}

// Feeds the chunks that pass `keep` to a tracker until an mcp_message tools/call comes out.
std::optional<Event> tools_call(CaptureSession& session, const std::function<bool(const DataChunk&)>& keep,
                                std::vector<Event>& events) {
  ConversationTracker tracker;
  size_t fed = 0;
  std::optional<Event> call;
  session.wait_until(
      [&](const std::vector<DataChunk>& chunks) {
        for (; fed < chunks.size(); ++fed) {
          if (keep(chunks[fed])) tracker.feed(chunks[fed], events);
        }
        for (const Event& e : events) {
          const McpPayload* m = e.as<McpPayload>();
          if (m && m->method == "tools/call" && m->kind == McpKind::kRequest) call = e;
        }
        return call.has_value();
      },
      20s);
  return call;
}

TEST_F(McpCaptureTest, StdioToolsCallOfTheSdkIsDecodedAtTheServersPipes) {
  start_capture();
  if (HasFatalFailure() || IsSkipped()) return;
  ASSERT_TRUE(session_->programs().capture_stdio());

  // The client waits before starting its server, so that it is selected first, as the agent
  // selects a client at its exec.
  auto client = Child::spawn({"node", mcp_file("mcp_client.js"), "stdio", mcp_file("notes_server.js")}, node_env("1500"));
  ASSERT_TRUE(client) << client.error().message();
  pid_t pid = (*client)->pid();
  StdioSelection selection{{}, {"mcp_client.js"}};
  StdioRole role = StdioRole::kNone;
  for (int i = 0; i < 200 && role == StdioRole::kNone; ++i) {
    char exe[4096];
    ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), exe, sizeof(exe) - 1);
    if (n > 0) role = stdio_role(selection, std::string_view(exe, static_cast<size_t>(n)), cmdline(pid));
    if (role == StdioRole::kNone) std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(role, StdioRole::kClient);
  ASSERT_TRUE(session_->programs().select_stdio(pid, getpid(), false));

  auto status = (*client)->wait(60s);
  std::string output = (*client)->output();
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output;
  EXPECT_NE(output.find("the note at /srv/notes/ztai-mcp-probe.txt"), std::string::npos) << output;

  std::vector<Event> events;
  auto call = tools_call(*session_, [&](const DataChunk& c) { return c.transport == ChunkTransport::kPipe && c.peer_tgid == static_cast<uint32_t>(pid); }, events);
  ASSERT_TRUE(call) << "no tools/call among " << events.size() << " events from " << session_->chunks().size()
                    << " chunks";
  const McpPayload* m = call->as<McpPayload>();
  EXPECT_EQ(m->tool_name, "read_note");
  EXPECT_NE(m->tool_args.find(kProbePath), std::string::npos) << m->tool_args;
  EXPECT_EQ(m->stream.transport, ChunkTransport::kPipe);
  EXPECT_EQ(m->direction, ChunkDirection::kIngress) << "the server reads the request on its stdin";
  // Tied to the server (the client's child) and to the client.
  EXPECT_NE(call->hdr.proc.tgid, static_cast<uint32_t>(pid));
  EXPECT_EQ(m->stream.peer_tgid, static_cast<uint32_t>(pid));
  // The server's answer on its stdout carries the request's method, and the client's own pipe
  // ends are not captured (each message is seen once).
  bool result = false;
  for (const Event& e : events) {
    const McpPayload* r = e.as<McpPayload>();
    ASSERT_TRUE(r);
    EXPECT_EQ(e.hdr.proc.tgid, call->hdr.proc.tgid);
    result |= r->kind == McpKind::kResult && r->method == "tools/call" && r->direction == ChunkDirection::kEgress &&
              r->result.find(kProbePath) != std::string::npos;
  }
  EXPECT_TRUE(result);
  for (const DataChunk& c : session_->chunks()) EXPECT_NE(c.hdr.proc.tgid, static_cast<uint32_t>(pid));
}

TEST_F(McpCaptureTest, StreamableHttpToolsCallOfTheSdkIsDecodedOnThePlainSocket) {
  start_capture();
  if (HasFatalFailure() || IsSkipped()) return;
  auto server = Child::spawn({"node", mcp_file("notes_server.js"), "http"}, node_env());
  ASSERT_TRUE(server) << server.error().message();
  auto line = (*server)->read_line_starting("PORT ", 30s);
  ASSERT_TRUE(line) << line.error().message();
  uint16_t port = static_cast<uint16_t>(std::stoi(line->substr(5)));
  ASSERT_TRUE(session_->programs().capture_ports({port}));

  auto client = Child::spawn({"node", mcp_file("mcp_client.js"), "http", fmt::format("http://127.0.0.1:{}/mcp", port)},
                             node_env());
  ASSERT_TRUE(client) << client.error().message();
  pid_t pid = (*client)->pid();
  auto status = (*client)->wait(60s);
  std::string output = (*client)->output();
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output;

  std::vector<Event> events;
  auto call = tools_call(*session_, [&](const DataChunk& c) { return c.hdr.proc.tgid == static_cast<uint32_t>(pid); }, events);
  ASSERT_TRUE(call) << "no tools/call among " << events.size() << " events; egress: " << session_->stream(pid, true);
  const McpPayload* m = call->as<McpPayload>();
  EXPECT_EQ(call->hdr.proc.tgid, static_cast<uint32_t>(pid));
  EXPECT_EQ(m->tool_name, "read_note");
  EXPECT_NE(m->tool_args.find(kProbePath), std::string::npos) << m->tool_args;
  EXPECT_EQ(m->stream.transport, ChunkTransport::kTcp);
  EXPECT_EQ(m->stream.remote.port, port);
  ASSERT_TRUE(m->http);
  EXPECT_EQ(m->http->method, "POST");
  EXPECT_EQ(m->http->path, "/mcp");
}

}  // namespace
}  // namespace ztai
