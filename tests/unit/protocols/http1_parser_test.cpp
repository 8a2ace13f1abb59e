#include "agent/protocols/http/http1_parser.h"

#include <gtest/gtest.h>

#include "agent/protocols/http/sse_parser.h"
#include "agent/protocols/llm/api_key.h"

namespace ztai::http {
namespace {

struct Message {
  MessageHead head;
  std::string body;
  bool ended = false;
};

class Collect : public Http1Sink {
 public:
  void on_head(const MessageHead& h) override { messages.push_back({h, {}, false}); }
  void on_body(std::string_view d) override { messages.back().body += d; }
  void on_message_end() override { messages.back().ended = true; }
  bool response_to_head() override { return head; }
  std::vector<Message> messages;
  bool head = false;
};

std::vector<Message> parse(std::string_view text, size_t step, bool close = false) {
  Collect c;
  Http1Parser p(c, 4096);
  for (size_t i = 0; i < text.size(); i += step) p.feed(text.substr(i, step));
  if (close) p.finish();
  return c.messages;
}

TEST(Http1Parser, ChunkedWithExtensionsAndTrailersAtEverySplit) {
  std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  for (size_t step = 1; step <= text.size(); ++step) {
    auto m = parse(text, step);
    ASSERT_EQ(m.size(), 2u) << step;
    EXPECT_EQ(m[0].body, "hello 0123456789");
    EXPECT_TRUE(m[0].ended);
    EXPECT_EQ(m[1].head.status, 204u);
    EXPECT_TRUE(m[1].ended);
  }
}

TEST(Http1Parser, PipelinedRequestsWithAndWithoutBodies) {
  std::string text =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "\r\nDELETE /c HTTP/1.1\r\n\r\n";
  auto m = parse(text, 1);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].head.method, "GET");
  EXPECT_EQ(*m[0].head.find("host"), "x");
  EXPECT_EQ(m[1].body, "abc");
  EXPECT_EQ(m[2].head.target, "/c");
  EXPECT_TRUE(m[2].ended);
}

TEST(Http1Parser, ResponseToHeadHasNoBody) {
  Collect c;
  c.head = true;
  Http1Parser p(c, 4096);
  p.feed("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_TRUE(c.messages[0].ended);
  EXPECT_EQ(c.messages[1].head.status, 404u);
}

TEST(Http1Parser, BodyUntilCloseEndsOnFinish) {
  auto m = parse("HTTP/1.0 200 OK\r\n\r\nstreamed until close", 4, true);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].body, "streamed until close");
  EXPECT_TRUE(m[0].ended);
}

TEST(Http1Parser, MalformedInputReportsAndResynchronises) {
  Collect c;
  Http1Parser p(c, 4096);
  EXPECT_FALSE(p.feed("GET / HTTP/1.1\r\nno colon here\r\n\r\n"));
  EXPECT_EQ(p.error(), "malformed header line");
  EXPECT_TRUE(p.feed("binary\x01\x02\nGET /ok HTTP/1.1\r\n\r\n"));
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].head.target, "/ok");
  EXPECT_FALSE(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
  EXPECT_EQ(p.error(), "bad chunk size line");
  p.chunk_boundary();  // skipping resumes at a line start; a new capture chunk may start a message
  EXPECT_FALSE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"));
  EXPECT_EQ(p.error(), "malformed Content-Length");
}

TEST(Http1Parser, OversizedHeadIsRejected) {
  Collect c;
  Http1Parser p(c, 64);
  EXPECT_FALSE(p.feed("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n"));
  EXPECT_NE(p.error().find("exceeds 64"), std::string::npos);
  EXPECT_TRUE(c.messages.empty());
}

TEST(Http1Parser, UpgradeStopsParsing) {
  Collect c;
  Http1Parser p(c, 4096);
  p.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(SseParser, FieldsLineEndingsCommentsAndSplits) {
  std::string text = ": keep-alive\r\nevent: delta\r\ndata: a\r\ndata:b\r\nid: 7\r\n\r\ndata: {\"x\":1}\n\ndata: no end";
  for (size_t step = 1; step <= text.size(); ++step) {
    SseParser p(1024);
    std::vector<SseEvent> got;
    for (size_t i = 0; i < text.size(); i += step) {
      p.feed(std::string_view(text).substr(i, step), [&](const SseEvent& e, bool) { got.push_back(e); });
    }
    ASSERT_EQ(got.size(), 2u) << step;
    EXPECT_EQ(got[0].event, "delta");
    EXPECT_EQ(got[0].data, "a\nb");
    EXPECT_EQ(got[0].id, "7");
    EXPECT_EQ(got[1].data, "{\"x\":1}");
  }
}

TEST(SseParser, OversizedEventIsCutAndFlagged) {
  SseParser p(10);
  bool truncated = false;
  std::string data;
  p.feed("data: " + std::string(50, 'x') + "\n\n", [&](const SseEvent& e, bool t) {
    data = e.data;
    truncated = t;
  });
  EXPECT_TRUE(truncated);
  EXPECT_LE(data.size(), 10u);
}

TEST(ApiKey, FingerprintHidesTheKey) {
  std::string key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
  std::string id = llm::fingerprint("openai", "Bearer " + key);
  EXPECT_EQ(id.size(), std::string("openai:").size() + 8 + 1 + 4);
  EXPECT_TRUE(id.starts_with("openai:"));
  EXPECT_TRUE(id.ends_with(":0123"));
  EXPECT_EQ(id, llm::fingerprint("openai", key));  // the scheme is not part of the key
  EXPECT_NE(id, llm::fingerprint("openai", key + "x"));
  EXPECT_EQ(id.find("abcdefgh"), std::string::npos);
  EXPECT_TRUE(llm::fingerprint("ollama", "short").ends_with(":****"));  // too short to show its end
  EXPECT_TRUE(llm::fingerprint("openai", "Bearer ").empty());
  EXPECT_TRUE(llm::is_secret_header("authorization"));
  EXPECT_TRUE(llm::is_secret_header("x-api-key"));
  EXPECT_FALSE(llm::is_secret_header("content-type"));
}

}  // namespace
}  // namespace ztai::http
