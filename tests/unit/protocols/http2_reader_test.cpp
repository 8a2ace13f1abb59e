#include "agent/protocols/http/http2_reader.h"

#include <nghttp2/nghttp2.h>

#include <gtest/gtest.h>

#include "agent/protocols/stream/conversation_tracker.h"
#include "tests/unit/protocols/protocol_fixtures.h"

namespace ztai {
namespace {

// Builds HTTP/2 frames the way a client or server library would, with nghttp2's HPACK encoder
// (its dynamic table carries state from one header block to the next).
class FrameWriter {
 public:
  FrameWriter() { nghttp2_hd_deflate_new(&deflater_, 4096); }
  ~FrameWriter() { nghttp2_hd_deflate_del(deflater_); }

  std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
    std::string f;
    f.push_back(static_cast<char>(payload.size() >> 16));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size()));
    f.push_back(static_cast<char>(type));
    f.push_back(static_cast<char>(flags));
    for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<char>(stream >> s));
    f.append(payload);
    return f;
  }

  std::string block(const std::vector<std::pair<std::string, std::string>>& headers) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : headers) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    ssize_t n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(out.data()), out.size(), nva.data(), nva.size());
    EXPECT_GE(n, 0);
    out.resize(static_cast<size_t>(n));
    return out;
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

constexpr uint8_t kData = 0, kHeaders = 1, kSettings = 4, kContinuation = 9;
constexpr uint8_t kEndStream = 1, kEndHeaders = 4, kPadded = 8;

// One request and its SSE response, as a Go or Node client and an HTTP/2 server would send them.
struct H2Conversation {
  std::string client;
  std::string server;
};

H2Conversation openai_over_h2(int requests) {
  FrameWriter c, s;
  H2Conversation conv;
  conv.client = std::string(http::kHttp2Preface) + c.frame(kSettings, 0, 0, std::string("\x00\x04\x00\x60\x00\x00", 6));
  conv.server = s.frame(kSettings, 0, 0, "");
  std::string req_body = testing::fixture("openai_chat_stream.request");
  req_body = req_body.substr(req_body.find("\r\n\r\n") + 4);
  std::string resp = testing::fixture("openai_chat_stream.response");
  // The SSE body, de-chunked: the chunked framing is HTTP/1's.
  std::string sse;
  for (size_t p = resp.find("\r\n\r\n") + 4;;) {
    size_t eol = resp.find("\r\n", p);
    size_t len = std::stoul(resp.substr(p, eol - p), nullptr, 16);
    if (len == 0) break;
    sse += resp.substr(eol + 2, len);
    p = eol + 2 + len + 2;
  }
  for (int i = 0; i < requests; ++i) {
    uint32_t id = 1 + 2 * static_cast<uint32_t>(i);
    std::string block = c.block({{":method", "POST"}, {":scheme", "https"}, {":authority", "api.openai.com"},
                                 {":path", "/v1/chat/completions"}, {"content-type", "application/json"},
                                 {"authorization", "Bearer sk-proj-h2secretkey0123456789WXYZ"}});
    // The header block split over HEADERS + CONTINUATION.
    conv.client += c.frame(kHeaders, 0, id, block.substr(0, block.size() / 2));
    conv.client += c.frame(kContinuation, kEndHeaders, id, block.substr(block.size() / 2));
    conv.client += c.frame(kData, 0, id, req_body.substr(0, 100));
    std::string padded = std::string(1, '\x05') + req_body.substr(100) + std::string(5, '\0');
    conv.client += c.frame(kData, kEndStream | kPadded, id, padded);
    conv.server += s.frame(kHeaders, kEndHeaders, id, s.block({{":status", "200"}, {"content-type", "text/event-stream"}}));
    conv.server += s.frame(kData, 0, id, sse.substr(0, sse.size() / 3));
    conv.server += s.frame(kData, 0, id, sse.substr(sse.size() / 3));
    conv.server += s.frame(kData, kEndStream, id, "");
  }
  return conv;
}

TEST(Http2, ChatCompletionOverHttp2WithHpackState) {
  for (size_t step : {0, 1, 5, 64}) {
    SCOPED_TRACE(step);
    ConversationTracker t;
    H2Conversation conv = openai_over_h2(2);
    auto events = testing::run(t, {{ChunkDirection::kEgress, conv.client}, {ChunkDirection::kIngress, conv.server}},
                               step);
    auto q = testing::payloads<LlmPayload>(events, EventType::kLlmRequest);
    auto r = testing::payloads<LlmPayload>(events, EventType::kLlmResponse);
    ASSERT_EQ(q.size(), 2u);
    ASSERT_EQ(r.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(q[i]->http.version, 2);
      EXPECT_EQ(q[i]->http.host, "api.openai.com");
      EXPECT_EQ(q[i]->model, "gpt-4o");
      EXPECT_TRUE(q[i]->api_key_id.ends_with(":WXYZ"));
      EXPECT_EQ(r[i]->response, "Let me check that for you.");
      ASSERT_EQ(r[i]->tool_calls.size(), 1u);
      EXPECT_EQ(r[i]->tool_calls[0].args, R"({"location": "Boston, MA"})");
      EXPECT_EQ(r[i]->http.status, 200u);
    }
    EXPECT_EQ(t.stats().parse_errors, 0u);
  }
}

TEST(Http2, ServerSettingsCapturedBeforeTheClientPreface) {
  ConversationTracker t;
  H2Conversation conv = openai_over_h2(1);
  // The server's SETTINGS frame (9 bytes) arrives first, then everything else.
  auto events = testing::run(t, {{ChunkDirection::kIngress, conv.server.substr(0, 9)},
                                 {ChunkDirection::kEgress, conv.client},
                                 {ChunkDirection::kIngress, conv.server.substr(9)}},
                             3);
  EXPECT_EQ(testing::payloads<LlmPayload>(events, EventType::kLlmRequest).size(), 1u);
  auto r = testing::payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->response, "Let me check that for you.");
  EXPECT_EQ(t.stats().unrecognised_bytes, 0u);
}

TEST(Http2, ResponseStartingBeforeTheRequestEndsKeepsBodiesApart) {
  FrameWriter c, sv;
  std::string body = R"({"model":"llama3.2","prompt":"hello there","stream":false})";
  std::string answer = R"({"model":"llama3.2","response":"hi","done":true})";
  std::string client = std::string(http::kHttp2Preface) + c.frame(kSettings, 0, 0, "") +
                       c.frame(kHeaders, kEndHeaders, 1,
                               c.block({{":method", "POST"}, {":path", "/api/generate"}, {":authority", "gpu:11434"}})) +
                       c.frame(kData, 0, 1, body.substr(0, 20));
  std::string server = sv.frame(kSettings, 0, 0, "") +
                       sv.frame(kHeaders, kEndHeaders, 1, sv.block({{":status", "200"}, {"content-type", "application/json"}})) +
                       sv.frame(kData, 0, 1, answer.substr(0, 10));
  ConversationTracker t;
  auto events = testing::run(t, {{ChunkDirection::kEgress, client}, {ChunkDirection::kIngress, server},
                                 {ChunkDirection::kEgress, c.frame(kData, kEndStream, 1, body.substr(20))},
                                 {ChunkDirection::kIngress, sv.frame(kData, kEndStream, 1, answer.substr(10))}},
                             0, 1, ChunkTransport::kTcp);
  auto q = testing::payloads<LlmPayload>(events, EventType::kLlmRequest);
  auto r = testing::payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(q.size(), 1u);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(q[0]->prompt, "hello there");
  EXPECT_EQ(r[0]->response, "hi");
}

TEST(Http2, StreamsBeyondThePendingLimitForgetTheOldest) {
  TrackerLimits limits;
  limits.max_pending = 2;
  ConversationTracker t(limits);
  FrameWriter c, sv;
  std::string body = R"({"model":"llama3.2","prompt":"p","stream":false})";
  std::string client = std::string(http::kHttp2Preface);
  for (uint32_t id = 1; id <= 9; id += 2) {
    client += c.frame(kHeaders, kEndHeaders, id, c.block({{":method", "POST"}, {":path", "/api/generate"}}));
    client += c.frame(kData, kEndStream, id, body);
  }
  std::string answer = R"({"model":"llama3.2","response":"last","done":true})";
  std::string server = sv.frame(kHeaders, kEndHeaders, 9, sv.block({{":status", "200"}})) +
                       sv.frame(kData, kEndStream, 9, answer) +
                       sv.frame(kHeaders, kEndHeaders | kEndStream, 1, sv.block({{":status", "200"}}));
  auto events = testing::run(t, {{ChunkDirection::kEgress, client}, {ChunkDirection::kIngress, server}}, 0, 1,
                             ChunkTransport::kTcp);
  EXPECT_EQ(testing::payloads<LlmPayload>(events, EventType::kLlmRequest).size(), 5u);
  auto r = testing::payloads<LlmPayload>(events, EventType::kLlmResponse);
  ASSERT_EQ(r.size(), 1u);  // stream 1 was forgotten: its response is unpaired
  EXPECT_EQ(r[0]->response, "last");
  EXPECT_EQ(t.stats().unpaired_responses, 1u);
  EXPECT_GE(t.stats().truncated_messages, 2u);
}

class RecordingSink : public http::Http2Sink {
 public:
  void on_h2_head(uint32_t, const http::MessageHead& h) override { heads.push_back(h); }
  void on_h2_data(uint32_t, std::string_view d) override { data += d; }
  void on_h2_end(uint32_t, bool reset) override { ends += reset ? "R" : "E"; }
  std::vector<http::MessageHead> heads;
  std::string data;
  std::string ends;
};

TEST(Http2, BadPrefaceAndOversizedFramesStopTheReader) {
  RecordingSink sink;
  http::Http2Reader bad(sink, true, 1024);
  EXPECT_FALSE(bad.feed("PRI * HTTP/1.1\r\n"));
  EXPECT_TRUE(bad.dead());
  http::Http2Reader big(sink, false, 1024, 16384);
  EXPECT_FALSE(big.feed(std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9)));
  EXPECT_NE(big.error().find("exceeds"), std::string::npos);
}

TEST(Http2, LossKillsTheReaderBecauseHpackStateIsGone) {
  ConversationTracker t;
  std::vector<Event> out;
  H2Conversation conv = openai_over_h2(1);
  t.feed(testing::chunk(1, ChunkDirection::kEgress, conv.client.substr(0, 80), 1), out);
  DataChunk rest = testing::chunk(1, ChunkDirection::kEgress, conv.client.substr(100), 2);
  rest.lost_bytes = 20;
  t.feed(rest, out);
  EXPECT_TRUE(out.empty());
  EXPECT_GT(t.stats().unrecognised_bytes, 0u);
}

TEST(Http2, GarbageHeaderBlockIsAnErrorNotACrash) {
  RecordingSink sink;
  http::Http2Reader r(sink, false, 1024);
  FrameWriter w;
  EXPECT_FALSE(r.feed(w.frame(kHeaders, kEndHeaders | kEndStream, 1, std::string("\xff\xff\xff\xff\xff\x7f", 6))));
  EXPECT_TRUE(r.dead());
  EXPECT_TRUE(sink.heads.empty());
}

}  // namespace
}  // namespace ztai
