#include "agent/protocols/stream/conversation_tracker.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "tests/unit/protocols/protocol_fixtures.h"

namespace ztai {
namespace {

using testing::fixture;
using testing::payloads;
using testing::Piece;
using testing::run;
constexpr auto kOut = ChunkDirection::kEgress;
constexpr auto kIn = ChunkDirection::kIngress;

std::vector<Piece> exchange(const std::string& name_req, const std::string& name_resp) {
  return {{kOut, fixture(name_req)}, {kIn, fixture(name_resp)}};
}

void expect_openai_stream(const std::vector<Event>& events) {
  auto reqs = payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto resps = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_EQ(resps.size(), 1u);
  const LlmPayload& q = *reqs[0];
  EXPECT_EQ(q.provider, "openai");
  EXPECT_EQ(q.endpoint, "chat.completions");
  EXPECT_EQ(q.model, "gpt-4o");
  EXPECT_EQ(q.prompt, "You are a helpful assistant.\nWhat's the weather like in Boston today?");
  EXPECT_EQ(q.tools, std::vector<std::string>{"get_current_weather"});
  EXPECT_TRUE(q.stream_requested);
  EXPECT_EQ(q.http.method, "POST");
  EXPECT_EQ(q.http.host, "api.openai.com");
  EXPECT_EQ(q.http.path, "/v1/chat/completions");
  EXPECT_EQ(q.api_key_id.substr(0, 7), "openai:");
  EXPECT_TRUE(q.api_key_id.ends_with(":A6sD")) << q.api_key_id;
  const LlmPayload& r = *resps[0];
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(r.response, "Let me check that for you.");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "get_current_weather");
  EXPECT_EQ(r.tool_calls[0].args, R"({"location": "Boston, MA"})");
  EXPECT_EQ(r.tool_calls[0].id, "call_DdmNtxCZ5k8Q");
  EXPECT_EQ(r.tokens_in, 82u);
  EXPECT_EQ(r.tokens_out, 25u);
  EXPECT_EQ(r.finish_reason, "tool_calls");
  EXPECT_EQ(r.http.status, 200u);
  EXPECT_EQ(r.api_key_id, q.api_key_id);
  EXPECT_GT(r.latency_ns, 0u);
  EXPECT_FALSE(r.body_truncated);
  EXPECT_FALSE(q.server_side);
  EXPECT_FALSE(r.server_side);
}

TEST(ConversationTracker, OpenAiStreamedChatWithToolCall) {
  ConversationTracker t;
  auto events = run(t, exchange("openai_chat_stream.request", "openai_chat_stream.response"));
  expect_openai_stream(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].hdr.proc.tgid, 4242u);
  EXPECT_EQ(events[0].hdr.cgroup_id, 99u);
  EXPECT_EQ(t.stats().parse_errors, 0u);
  EXPECT_EQ(t.stats().unrecognised_bytes, 0u);
}

TEST(ConversationTracker, SplitAtEveryByteGivesTheSameEvents) {
  for (size_t step : {1, 2, 3, 7, 64}) {
    ConversationTracker t;
    SCOPED_TRACE(step);
    expect_openai_stream(run(t, exchange("openai_chat_stream.request", "openai_chat_stream.response"), step));
  }
}

TEST(ConversationTracker, EverySplitPointOfTheRequestAndResponse) {
  std::string req = fixture("openai_chat_stream.request");
  std::string resp = fixture("openai_chat_stream.response");
  for (size_t cut = 1; cut < resp.size(); cut += 1) {
    ConversationTracker t;
    std::vector<Event> out;
    size_t rc = cut % req.size();
    t.feed(testing::chunk(1, kOut, req.substr(0, rc), 1000), out);
    t.feed(testing::chunk(1, kOut, req.substr(rc), 2000), out);
    t.feed(testing::chunk(1, kIn, resp.substr(0, cut), 3000), out);
    t.feed(testing::chunk(1, kIn, resp.substr(cut), 4000), out);
    ASSERT_EQ(out.size(), 2u) << "cut at " << cut;
    ASSERT_EQ(out[1].as<LlmPayload>()->tool_calls.size(), 1u);
    ASSERT_EQ(out[1].as<LlmPayload>()->tool_calls[0].args, R"({"location": "Boston, MA"})") << "cut at " << cut;
  }
}

TEST(ConversationTracker, AnthropicStreamWithToolUse) {
  ConversationTracker t;
  auto events = run(t, exchange("anthropic_stream.request", "anthropic_stream.response"), 5);
  auto reqs = payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto resps = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_EQ(resps.size(), 1u);
  EXPECT_EQ(reqs[0]->provider, "anthropic");
  EXPECT_EQ(reqs[0]->endpoint, "messages");
  EXPECT_EQ(reqs[0]->model, "claude-sonnet-4-5");
  EXPECT_EQ(reqs[0]->prompt, "You are a careful coding agent.\nList the files in /etc please.");
  EXPECT_EQ(reqs[0]->tools, std::vector<std::string>{"run_shell"});
  EXPECT_TRUE(reqs[0]->api_key_id.starts_with("anthropic:"));
  EXPECT_TRUE(reqs[0]->api_key_id.ends_with(":LmNo"));
  EXPECT_EQ(resps[0]->model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(resps[0]->response, "Sure, I'll list them.");
  ASSERT_EQ(resps[0]->tool_calls.size(), 1u);
  EXPECT_EQ(resps[0]->tool_calls[0].name, "run_shell");
  EXPECT_EQ(resps[0]->tool_calls[0].args, R"({"cmd": "ls /etc"})");
  EXPECT_EQ(resps[0]->tokens_in, 472u);
  EXPECT_EQ(resps[0]->tokens_out, 89u);
  EXPECT_EQ(resps[0]->finish_reason, "tool_use");
}

TEST(ConversationTracker, OllamaChatNdjsonStreamOnPlainTcp) {
  ConversationTracker t;
  auto events = run(t, exchange("ollama_chat_stream.request", "ollama_chat_stream.response"), 3, 9,
                    ChunkTransport::kTcp);
  auto reqs = payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto resps = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_EQ(resps.size(), 1u);
  EXPECT_EQ(reqs[0]->provider, "ollama");
  EXPECT_EQ(reqs[0]->endpoint, "ollama.chat");
  EXPECT_EQ(reqs[0]->model, "llama3.2");
  EXPECT_EQ(reqs[0]->prompt, "why is the sky blue?");
  EXPECT_TRUE(reqs[0]->api_key_id.empty());
  EXPECT_EQ(reqs[0]->stream.transport, ChunkTransport::kTcp);
  EXPECT_EQ(resps[0]->response, "The sky is blue because of Rayleigh scattering.");
  EXPECT_EQ(resps[0]->tokens_in, 26u);
  EXPECT_EQ(resps[0]->tokens_out, 282u);
  EXPECT_EQ(resps[0]->finish_reason, "stop");
}

TEST(ConversationTracker, KeepAliveAndPipelinedRequestsPairInOrder) {
  // Two requests written back to back before either response (pipelining), then both responses.
  ConversationTracker t;
  std::string reqs = fixture("ollama_generate.request") + fixture("vllm_chat.request");
  std::string resps = fixture("ollama_generate.response") + fixture("vllm_chat.response");
  for (size_t step : {0, 1, 13}) {
    auto events = run(t, {{kOut, reqs}, {kIn, resps}}, step, 10 + step, ChunkTransport::kTcp);
    auto q = payloads<LlmPayload>(events, EventType::kLlmRequest);
    auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
    ASSERT_EQ(q.size(), 2u);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(q[0]->endpoint, "ollama.generate");
    EXPECT_EQ(q[0]->prompt, "Answer with code only.\nWrite a bash one-liner that deletes /tmp/cache");
    EXPECT_EQ(r[0]->response, "rm -rf /tmp/cache");
    EXPECT_EQ(r[0]->model, "qwen2.5-coder:7b");
    EXPECT_EQ(q[1]->provider, "openai-compatible");
    EXPECT_EQ(r[1]->response, "Hi! How can I help?");
    EXPECT_EQ(r[1]->model, "meta-llama/Llama-3.1-8B-Instruct");
    EXPECT_EQ(r[1]->tokens_out, 7u);
    EXPECT_EQ(r[1]->http.host, "127.0.0.1:8000");
  }
}

TEST(ConversationTracker, ResponsesApiWithFunctionCall) {
  ConversationTracker t;
  auto events = run(t, exchange("openai_responses.request", "openai_responses.response"), 11);
  auto q = payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(q.size(), 1u);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(q[0]->endpoint, "responses");
  EXPECT_EQ(q[0]->prompt, "You are a travel agent.\nBook me a flight to Paris.");
  EXPECT_EQ(q[0]->tools, (std::vector<std::string>{"book_flight", "web_search_preview"}));
  EXPECT_EQ(r[0]->response, "Booking your flight now.");
  ASSERT_EQ(r[0]->tool_calls.size(), 1u);
  EXPECT_EQ(r[0]->tool_calls[0].name, "book_flight");
  EXPECT_EQ(r[0]->tool_calls[0].args, R"({"to":"Paris"})");
  EXPECT_EQ(r[0]->tokens_in, 36u);
  EXPECT_EQ(r[0]->tokens_out, 87u);
}

TEST(ConversationTracker, ApiErrorStatusAndMessage) {
  ConversationTracker t;
  auto events = run(t, exchange("vllm_chat.request", "openai_error.response"));
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->http.status, 401u);
  EXPECT_EQ(r[0]->error, "Incorrect API key provided: sk-proj-****");
}

TEST(ConversationTracker, ServerSideCaptureSeesRequestsAsIngress) {
  // A model server captured: it reads requests and writes responses.
  ConversationTracker t;
  auto events = run(t, {{kIn, fixture("ollama_generate.request")}, {kOut, fixture("ollama_generate.response")}}, 4);
  auto q = payloads<LlmPayload>(events, EventType::kLlmRequest);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(q[0]->server_side);
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->response, "rm -rf /tmp/cache");
  EXPECT_TRUE(r[0]->server_side);
}

TEST(ConversationTracker, SecretsNeverAppearInEvents) {
  ConversationTracker t;
  auto events = run(t, exchange("openai_chat_stream.request", "openai_chat_stream.response"));
  events.push_back(run(t, exchange("anthropic_stream.request", "anthropic_stream.response"), 0, 2)[0]);
  for (const Event& e : events) {
    const LlmPayload* p = e.as<LlmPayload>();
    ASSERT_NE(p, nullptr);
    for (const std::string* s : {&p->api_key_id, &p->prompt, &p->response, &p->http.path, &p->error}) {
      EXPECT_EQ(s->find("Zx8mQ2vLr5TnW9yK"), std::string::npos);
      EXPECT_EQ(s->find("sk-ant-api03-Qw3r"), std::string::npos);
    }
  }
}

TEST(ConversationTracker, McpOverStdioPipes) {
  ConversationTracker t;
  std::vector<Event> out;
  // The client writes requests into the server's stdin and reads results from its stdout: two pipes.
  std::string requests = fixture("mcp_stdio_client.jsonl");
  std::string results = fixture("mcp_stdio_server.jsonl");
  for (size_t i = 0; i < requests.size(); i += 9) {
    t.feed(testing::chunk(100, kOut, requests.substr(i, 9), 1000 + i, ChunkTransport::kPipe), out);
  }
  for (size_t i = 0; i < results.size(); i += 9) {
    t.feed(testing::chunk(101, kIn, results.substr(i, 9), 5000 + i, ChunkTransport::kPipe), out);
  }
  auto m = payloads<McpPayload>(out, EventType::kMcpMessage);
  ASSERT_EQ(m.size(), 9u);
  EXPECT_EQ(m[0]->method, "initialize");
  EXPECT_EQ(m[0]->kind, McpKind::kRequest);
  EXPECT_EQ(m[1]->kind, McpKind::kNotification);
  EXPECT_EQ(m[1]->method, "notifications/initialized");
  EXPECT_EQ(m[3]->method, "tools/call");
  EXPECT_EQ(m[3]->tool_name, "read_file");
  EXPECT_EQ(m[3]->tool_args, R"({"path":"/home/user/.ssh/id_rsa"})");
  EXPECT_EQ(m[3]->id, "2");
  EXPECT_EQ(m[3]->direction, kOut);
  EXPECT_EQ(m[4]->resource_uri, "file:///project/src/main.rs");
  EXPECT_EQ(m[5]->kind, McpKind::kResult);
  EXPECT_EQ(m[5]->method, "initialize");
  EXPECT_EQ(m[7]->method, "tools/call");
  EXPECT_EQ(m[7]->error, "permission denied");
  EXPECT_EQ(m[8]->kind, McpKind::kError);
  EXPECT_EQ(m[8]->method, "resources/read");
  EXPECT_EQ(m[8]->error, "-32002: Resource not found");
  EXPECT_FALSE(m[0]->http.has_value());
}

TEST(ConversationTracker, McpStreamableHttpWithSseResponse) {
  ConversationTracker t;
  for (size_t step : {0, 1, 17}) {
    auto events = run(t, exchange("mcp_http_call.request", "mcp_http_call.response"), step, 200 + step,
                      ChunkTransport::kTcp);
    auto m = payloads<McpPayload>(events, EventType::kMcpMessage);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0]->tool_name, "get_weather");
    EXPECT_EQ(m[0]->tool_args, R"({"city":"Paris"})");
    ASSERT_TRUE(m[0]->http.has_value());
    EXPECT_EQ(m[0]->http->path, "/mcp");
    EXPECT_EQ(m[1]->method, "notifications/progress");
    EXPECT_EQ(m[2]->kind, McpKind::kResult);
    EXPECT_EQ(m[2]->method, "tools/call");
    EXPECT_EQ(m[2]->http->status, 200u);
    EXPECT_TRUE(payloads<LlmPayload>(events, EventType::kLlmRequest).empty());
  }
}

TEST(ConversationTracker, GarbageBeforeAndBetweenMessagesIsSkipped) {
  ConversationTracker t;
  using namespace std::string_literals;
  std::string junk = "\x16\x03\x01\x02\x00garbage that is not http\r\nmore junk\n"s;
  auto events = run(t, {{kOut, junk + fixture("vllm_chat.request")}, {kIn, junk + fixture("vllm_chat.response")}}, 0, 1,
                    ChunkTransport::kTcp);
  EXPECT_EQ(payloads<LlmPayload>(events, EventType::kLlmResponse).size(), 1u);
  EXPECT_GT(t.stats().unrecognised_bytes, 0u);
}

TEST(ConversationTracker, RandomBytesNeverCrashOrEmit) {
  uint64_t x = 88172645463325252ull;
  for (int round = 0; round < 200; ++round) {
    ConversationTracker t;
    std::vector<Event> out;
    for (int i = 0; i < 20; ++i) {
      std::string bytes(1 + (x % 300), '\0');
      for (char& c : bytes) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x);
      }
      auto transport = static_cast<ChunkTransport>(round % 4);
      t.feed(testing::chunk(round % 3, i % 2 ? kIn : kOut, bytes, 1000 + i, transport), out);
    }
    EXPECT_TRUE(out.empty());
  }
}

TEST(ConversationTracker, LostBytesAbandonTheMessageAndResynchronise) {
  ConversationTracker t;
  std::vector<Event> out;
  std::string req = fixture("vllm_chat.request");
  std::string resp = fixture("vllm_chat.response");
  // The first request loses part of its body; the second one arrives whole.
  t.feed(testing::chunk(1, kOut, req.substr(0, req.size() - 60), 1000, ChunkTransport::kTcp), out);
  DataChunk rest = testing::chunk(1, kOut, req.substr(req.size() - 10), 2000, ChunkTransport::kTcp);
  rest.lost_bytes = 50;
  t.feed(rest, out);
  t.feed(testing::chunk(1, kOut, req, 3000, ChunkTransport::kTcp), out);
  t.feed(testing::chunk(1, kIn, resp + resp, 4000, ChunkTransport::kTcp), out);
  auto q = payloads<LlmPayload>(out, EventType::kLlmRequest);
  auto r = payloads<LlmPayload>(out, EventType::kLlmResponse);
  EXPECT_EQ(q.size(), 1u);  // the cut one is not reported as a request
  EXPECT_EQ(r.size(), 2u);  // but both responses pair
  EXPECT_EQ(t.stats().lost_bytes, 50u);
  EXPECT_EQ(r[0]->latency_ns, 0u);  // its request never completed
  EXPECT_GT(r[1]->latency_ns, 0u);
  EXPECT_GE(t.stats().truncated_messages, 1u);
}

TEST(ConversationTracker, OversizedBodyIsCutAndFlagged) {
  TrackerLimits limits;
  limits.max_body_bytes = 100;
  ConversationTracker t(limits);
  auto events = run(t, exchange("openai_responses.request", "openai_responses.response"));
  auto q = payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(q.size(), 1u);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(q[0]->body_truncated);
  EXPECT_FALSE(q[0]->error.empty());
  EXPECT_EQ(q[0]->endpoint, "responses");  // still known from the path
  EXPECT_TRUE(r[0]->body_truncated);
  EXPECT_EQ(t.stats().truncated_messages, 2u);
}

TEST(ConversationTracker, OversizedHeadResynchronises) {
  TrackerLimits limits;
  limits.max_head_bytes = 256;
  ConversationTracker t(limits);
  std::string huge = "GET / HTTP/1.1\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n";
  auto events = run(t, {{kOut, huge + fixture("vllm_chat.request")}, {kIn, fixture("vllm_chat.response")}}, 0, 1,
                    ChunkTransport::kTcp);
  EXPECT_EQ(payloads<LlmPayload>(events, EventType::kLlmRequest).size(), 1u);
  EXPECT_GE(t.stats().parse_errors, 1u);
}

TEST(ConversationTracker, ConnectionsAreBoundedAndEvictedLeastRecentlyUsed) {
  TrackerLimits limits;
  limits.max_connections = 4;
  ConversationTracker t(limits);
  std::vector<Event> out;
  std::string req = fixture("vllm_chat.request");
  for (uint64_t c = 1; c <= 10; ++c) t.feed(testing::chunk(c, kOut, req.substr(0, 40), c), out);
  EXPECT_EQ(t.connections(), 4u);
  EXPECT_EQ(t.stats().connections_evicted, 6u);
  t.expire(1'000'000'000'000);
  EXPECT_EQ(t.connections(), 0u);
}

TEST(ConversationTracker, ResponseReadUntilCloseEndsAtClose) {
  ConversationTracker t;
  std::vector<Event> out;
  std::string body = R"({"model":"llama3.2","response":"ok","done":true,"eval_count":1})";
  t.feed(testing::chunk(5, kOut, fixture("ollama_generate.request"), 1000, ChunkTransport::kTcp), out);
  t.feed(testing::chunk(5, kIn, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body, 2000,
                        ChunkTransport::kTcp), out);
  EXPECT_TRUE(payloads<LlmPayload>(out, EventType::kLlmResponse).empty());
  EventHeader hdr;
  hdr.boot_ns = 3000;
  t.close(5, hdr, out);
  auto r = payloads<LlmPayload>(out, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->response, "ok");
  EXPECT_EQ(t.connections(), 0u);
}

std::string gzip(std::string_view text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// The JSON body of a fixture response, compressed, under a new head.
std::string compressed_response(const std::string& name, std::string_view encoding, std::string body) {
  std::string resp = fixture(name);
  if (body.empty()) body = resp.substr(resp.find("\r\n\r\n") + 4);
  std::string packed = encoding == "gzip" ? gzip(body) : body;
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: " + std::string(encoding) +
         "\r\nContent-Length: " + std::to_string(packed.size()) + "\r\n\r\n" + packed;
}

TEST(ConversationTracker, GzipResponseBodiesAreInflated) {
  for (size_t step : {0, 1, 9}) {
    ConversationTracker t;
    auto events = run(t, {{kOut, fixture("vllm_chat.request")},
                          {kIn, compressed_response("vllm_chat.response", "gzip", {})}}, step);
    auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]->response, "Hi! How can I help?");
    EXPECT_TRUE(r[0]->error.empty()) << r[0]->error;
  }
}

TEST(ConversationTracker, CompressionBombStopsAtTheBodyCap) {
  TrackerLimits limits;
  limits.max_body_bytes = 64 * 1024;
  ConversationTracker t(limits);
  std::string bomb = R"({"choices":[{"message":{"content":")" + std::string(8 << 20, 'a') + R"("}}]})";
  auto events = run(t, {{kOut, fixture("vllm_chat.request")},
                        {kIn, compressed_response("vllm_chat.response", "gzip", bomb)}});
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0]->body_truncated);
  EXPECT_TRUE(r[0]->response.empty());
}

TEST(ConversationTracker, UndecodedEncodingsAreReported) {
  ConversationTracker t;
  auto events = run(t, {{kOut, fixture("vllm_chat.request")},
                        {kIn, compressed_response("vllm_chat.response", "br", "\x1b\x03\x00binary")}});
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->error, "body in content-encoding br is not decoded");
  EXPECT_EQ(r[0]->http.status, 200u);
}

TEST(ConversationTracker, CorruptGzipIsAnErrorNotACrash) {
  using namespace std::string_literals;
  ConversationTracker t;
  std::string bad = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n\x1f\x8b\x08\x00garbage-garbage!"s;
  auto events = run(t, {{kOut, fixture("vllm_chat.request")}, {kIn, bad}});
  auto r = payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0]->error.starts_with("content-encoding gzip: ")) << r[0]->error;
}

TEST(ConversationTracker, TooManyPendingRequestsForgetTheOldestSafely) {
  TrackerLimits limits;
  limits.max_pending = 2;
  ConversationTracker t(limits);
  std::vector<Event> out;
  std::string req = fixture("vllm_chat.request");
  std::string resp = fixture("vllm_chat.response");
  // A response starts, then more requests than the limit arrive while it is being received.
  t.feed(testing::chunk(1, kOut, req, 1), out);
  t.feed(testing::chunk(1, kIn, resp.substr(0, resp.size() / 2), 2), out);
  for (int i = 0; i < 4; ++i) t.feed(testing::chunk(1, kOut, req, 3 + i), out);
  t.feed(testing::chunk(1, kIn, resp.substr(resp.size() / 2) + resp + resp, 10), out);
  EXPECT_EQ(payloads<LlmPayload>(out, EventType::kLlmRequest).size(), 5u);
  EXPECT_EQ(payloads<LlmPayload>(out, EventType::kLlmResponse).size(), 2u);
  EXPECT_GE(t.stats().truncated_messages, 3u);
}

TEST(ConversationTracker, BodiesShareOneBudgetAcrossConnections) {
  TrackerLimits limits;
  limits.max_total_body_bytes = 600;
  ConversationTracker t(limits);
  std::vector<Event> out;
  std::string req = fixture("openai_responses.request");  // a body of about 400 bytes
  size_t body_at = req.find("\r\n\r\n") + 4;
  // Connection 1 holds its body (the request is not complete); connection 2 must fit in the rest.
  t.feed(testing::chunk(1, kOut, req.substr(0, req.size() - 1), 1), out);
  t.feed(testing::chunk(2, kOut, req, 2), out);
  auto q = payloads<LlmPayload>(out, EventType::kLlmRequest);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(q[0]->body_truncated);
  // Once connection 1 completes and releases its body, a new request fits again.
  t.feed(testing::chunk(1, kOut, req.substr(req.size() - 1), 3), out);
  t.feed(testing::chunk(3, kOut, req, 4), out);
  q = payloads<LlmPayload>(out, EventType::kLlmRequest);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_FALSE(q[1]->body_truncated);
  EXPECT_FALSE(q[2]->body_truncated);
  EXPECT_EQ(q[2]->model, "gpt-4.1");
  EXPECT_GT(req.size() - body_at, 300u);
}

}  // namespace
}  // namespace ztai
