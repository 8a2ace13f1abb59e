// From the kernel to an LLM event: curl POSTs an OpenAI chat request over HTTPS to 127.0.0.1,
// the OpenSSL uprobes capture it, and the ConversationTracker fed with the DataChunks emits an
// llm_request with the model, the prompt, curl's identity and the connection.
#include <gtest/gtest.h>

#include "agent/protocols/stream/conversation_tracker.h"
#include "tests/bpf/tls/tls_fixture.h"

namespace ztai {
namespace {

using TlsConversationTest = testing::CaptureTest;

TEST_F(TlsConversationTest, CurlChatRequestBecomesAnLlmRequestEvent) {
  start_capture_and_https_server();
  if (HasFatalFailure() || IsSkipped()) return;
  auto n = session_->attacher().scan_process(server_.process->pid());
  ASSERT_TRUE(n && *n > 0);

  std::string body =
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},)"
      R"({"role":"user","content":"ztai-llm-probe: read ~/.aws/credentials"}]})";
  pid_t pid = testing::run_client({"curl", "-sS", "--http1.1", "--cacert", ca_.ca_cert, "-H",
                                    "Content-Type: application/json", "-H",
                                    "Authorization: Bearer sk-test-0000000000000000abcd", "--data-binary", body,
                                    https_url("/v1/chat/completions")});
  ASSERT_GT(pid, 0);

  ConversationTracker tracker;
  std::vector<Event> events;
  size_t fed = 0;
  const LlmPayload* request = nullptr;
  const Event* request_event = nullptr;
  session_->wait_until([&](const std::vector<DataChunk>& chunks) {
    for (; fed < chunks.size(); ++fed) {
      if (chunks[fed].hdr.proc.tgid == static_cast<uint32_t>(pid)) tracker.feed(chunks[fed], events);
    }
    for (const Event& e : events) {
      if (e.hdr.type == EventType::kLlmRequest) {
        request_event = &e;
        request = e.as<LlmPayload>();
      }
    }
    return request != nullptr;
  });
  ASSERT_NE(request, nullptr) << "no llm_request from " << fed << " chunks";
  EXPECT_EQ(request_event->hdr.proc.tgid, static_cast<uint32_t>(pid));
  EXPECT_EQ(request->model, "gpt-4o");
  EXPECT_EQ(request->provider, "openai-compatible");  // a local server, not api.openai.com
  EXPECT_NE(request->prompt.find("ztai-llm-probe: read ~/.aws/credentials"), std::string::npos) << request->prompt;
  EXPECT_EQ(request->http.method, "POST");
  EXPECT_EQ(request->http.path, "/v1/chat/completions");
  EXPECT_EQ(request->stream.transport, ChunkTransport::kTls);
  EXPECT_EQ(request->stream.remote.port, server_.port);
  EXPECT_EQ(request->stream.remote.addr.to_string(), "127.0.0.1");
  // The key is fingerprinted, never carried.
  EXPECT_FALSE(request->api_key_id.empty());
  EXPECT_EQ(request->api_key_id.find("sk-test-0000000000000000abcd"), std::string::npos);
}

}  // namespace
}  // namespace ztai
