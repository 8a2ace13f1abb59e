// The real `openai` and `@anthropic-ai/sdk` npm clients in node, against an HTTPS server on
// 127.0.0.1 that answers as each API would with a tool call: node's SSL_write/SSL_read are
// probed in the node executable, and the ConversationTracker turns the captured plaintext into
// an llm_request (model, prompt, tools offered) and an llm_response (the tool call).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "agent/protocols/stream/conversation_tracker.h"
#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::CaptureSession;
using testing::Child;
using testing::TestCa;

struct Exchange {
  std::optional<LlmPayload> request, response;
  std::string output;
};

// Runs the SDK client for provider, probing node once it runs, and decodes its chunks.
Exchange run_sdk(CaptureSession& session, const TestCa& ca, const std::string& provider,
                 const std::string& base_url) {
  Exchange x;
  auto node = Child::spawn({"node", testing::tls_test_file("node_llm_client.js"), provider, base_url},
                           {{"NODE_EXTRA_CA_CERTS", ca.ca_cert}, {"NODE_PATH", ZTAI_NODE_MODULES},
                            {"ZTAI_TEST_DELAY_MS", "1000"}});
  EXPECT_TRUE(node) << node.error().message();
  if (!node) return x;
  pid_t pid = (*node)->pid();
  for (int i = 0; i < 200; ++i) {
    char exe[4096];
    ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), exe, sizeof(exe) - 1);
    if (n > 0 && std::string_view(exe, static_cast<size_t>(n)).ends_with("/node")) break;
    std::this_thread::sleep_for(5ms);
  }
  auto attached = session.attacher().scan_process(pid);
  EXPECT_TRUE(attached) << attached.error().message();
  auto status = (*node)->wait(60s);
  x.output = (*node)->output();
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << x.output;

  ConversationTracker tracker;
  std::vector<Event> events;
  size_t fed = 0;
  session.wait_until(
      [&](const std::vector<DataChunk>& chunks) {
        for (; fed < chunks.size(); ++fed) {
          if (chunks[fed].hdr.proc.tgid == static_cast<uint32_t>(pid)) tracker.feed(chunks[fed], events);
        }
        for (const Event& e : events) {
          if (e.hdr.type == EventType::kLlmRequest) x.request = *e.as<LlmPayload>();
          if (e.hdr.type == EventType::kLlmResponse) x.response = *e.as<LlmPayload>();
        }
        return x.request && x.response;
      },
      20s);
  return x;
}

class TlsNodeSdkTest : public testing::CaptureTest {
 protected:
  void SetUp() override { start_capture_and_https_server({}, /*llm_server=*/true); }
};

TEST_F(TlsNodeSdkTest, OpenAiClientRequestAndToolCallAreDecoded) {
  Exchange x = run_sdk(*session_, ca_, "openai", fmt::format("https://127.0.0.1:{}/v1", server_.port));
  EXPECT_NE(x.output.find("TOOL read_file"), std::string::npos) << x.output;
  ASSERT_TRUE(x.request) << "no llm_request";
  EXPECT_EQ(x.request->endpoint, "chat.completions");
  EXPECT_EQ(x.request->model, "gpt-4o");
  EXPECT_NE(x.request->prompt.find("You are a coding agent."), std::string::npos) << x.request->prompt;
  EXPECT_NE(x.request->prompt.find("ztai-sdk-probe: read my AWS credentials"), std::string::npos) << x.request->prompt;
  EXPECT_EQ(x.request->tools, std::vector<std::string>{"read_file"});
  EXPECT_EQ(x.request->http.path, "/v1/chat/completions");
  EXPECT_EQ(x.request->api_key_id.find("sk-test-openai"), std::string::npos);
  EXPECT_FALSE(x.request->api_key_id.empty());
  ASSERT_TRUE(x.response) << "no llm_response";
  EXPECT_EQ(x.response->http.status, 200u);
  ASSERT_EQ(x.response->tool_calls.size(), 1u);
  EXPECT_EQ(x.response->tool_calls[0].name, "read_file");
  EXPECT_NE(x.response->tool_calls[0].args.find("~/.aws/credentials"), std::string::npos);
  EXPECT_EQ(x.response->tokens_in, 21u);
}

TEST_F(TlsNodeSdkTest, AnthropicClientRequestAndToolUseAreDecoded) {
  Exchange x = run_sdk(*session_, ca_, "anthropic", fmt::format("https://127.0.0.1:{}", server_.port));
  EXPECT_NE(x.output.find("TOOL read_file"), std::string::npos) << x.output;
  ASSERT_TRUE(x.request) << "no llm_request";
  EXPECT_EQ(x.request->endpoint, "messages");
  EXPECT_EQ(x.request->model, "claude-sonnet-5");
  EXPECT_NE(x.request->prompt.find("You are a coding agent."), std::string::npos) << x.request->prompt;
  EXPECT_NE(x.request->prompt.find("ztai-sdk-probe: read my AWS credentials"), std::string::npos) << x.request->prompt;
  EXPECT_EQ(x.request->tools, std::vector<std::string>{"read_file"});
  EXPECT_EQ(x.request->api_key_id.find("sk-ant-test"), std::string::npos);
  EXPECT_FALSE(x.request->api_key_id.empty());
  ASSERT_TRUE(x.response) << "no llm_response";
  ASSERT_EQ(x.response->tool_calls.size(), 1u);
  EXPECT_EQ(x.response->tool_calls[0].name, "read_file");
  EXPECT_NE(x.response->tool_calls[0].args.find("~/.aws/credentials"), std::string::npos);
  EXPECT_EQ(x.response->tokens_out, 9u);
}

}  // namespace
}  // namespace ztai
