// Protocol decoding throughput: recorded LLM and MCP conversations fed to a ConversationTracker
// in 4 KiB chunks (the size of a typical TLS record read), repeated on one keep-alive
// connection. Bytes/s counts every byte fed, both directions. Target: far above what one host's
// model traffic produces (tens of MB/s).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "agent/protocols/http/http1_parser.h"
#include "agent/protocols/http/sse_parser.h"
#include "agent/protocols/stream/conversation_tracker.h"
#include "agent/protocols/tls/client_hello.h"

namespace ztai {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ZTAI_PROTOCOL_DATA) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Conversation {
  std::string egress;
  std::string ingress;
  ChunkTransport transport;
  int events_per_round;
};

void run(benchmark::State& state, const Conversation& conv) {
  constexpr size_t kChunk = 4096;
  ConversationTracker tracker;
  std::vector<Event> out;
  DataChunk c;
  c.hdr.proc = {1, 1};
  c.conn_id = 1;
  c.transport = conv.transport;
  uint64_t events = 0;
  for (auto _ : state) {
    for (auto [dir, bytes] : {std::pair{ChunkDirection::kEgress, &conv.egress},
                              std::pair{ChunkDirection::kIngress, &conv.ingress}}) {
      c.direction = dir;
      for (size_t i = 0; i < bytes->size(); i += kChunk) {
        c.hdr.boot_ns += 1000;
        c.data.assign(*bytes, i, kChunk);
        tracker.feed(c, out);
      }
    }
    events += out.size();
    out.clear();
  }
  if (events != static_cast<uint64_t>(conv.events_per_round) * state.iterations()) {
    state.SkipWithError("the conversation did not decode into the expected events");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (conv.egress.size() + conv.ingress.size())));
}

// A conversation of `rounds` request/response pairs, pipelined on one connection.
Conversation http(const std::string& stem, int rounds, int events_per_pair, ChunkTransport t = ChunkTransport::kTls) {
  Conversation c{{}, {}, t, rounds * events_per_pair};
  for (int i = 0; i < rounds; ++i) {
    c.egress += fixture(stem + ".request");
    c.ingress += fixture(stem + ".response");
  }
  return c;
}

void BM_OpenAiChatSse(benchmark::State& s) { run(s, http("openai_chat_stream", 16, 2)); }
void BM_AnthropicMessagesSse(benchmark::State& s) { run(s, http("anthropic_stream", 16, 2)); }
void BM_OllamaChatNdjson(benchmark::State& s) { run(s, http("ollama_chat_stream", 16, 2, ChunkTransport::kTcp)); }
void BM_OpenAiResponsesJson(benchmark::State& s) { run(s, http("openai_responses", 16, 2)); }
void BM_McpStreamableHttpSse(benchmark::State& s) { run(s, http("mcp_http_call", 16, 3, ChunkTransport::kTcp)); }
void BM_McpStdioLines(benchmark::State& s) {
  Conversation c{fixture("mcp_stdio_client.jsonl"), fixture("mcp_stdio_server.jsonl"), ChunkTransport::kPipe, 9};
  run(s, c);
}

// One large answer: a 64 KiB streamed completion in ~40-byte deltas (a long generation).
void BM_OpenAiChatSseLongAnswer(benchmark::State& s) {
  std::string body;
  for (int i = 0; body.size() < 64 * 1024; ++i) {
    body += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"token )" +
            std::to_string(i) + R"( "},"finish_reason":null}]})" + "\n\n";
  }
  body += "data: [DONE]\n\n";
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body;
  run(s, Conversation{fixture("openai_chat_stream.request"), resp, ChunkTransport::kTls, 2});
}

// The framing layers alone, without JSON: a chunked 1 MiB body, and SSE events without decoding.
void BM_Http1ChunkedFramingOnly(benchmark::State& state) {
  struct Sink : http::Http1Sink {
    void on_head(const http::MessageHead&) override {}
    void on_body(std::string_view d) override { n += d.size(); }
    void on_message_end() override {}
    size_t n = 0;
  } sink;
  std::string msg = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 256; ++i) msg += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  msg += "0\r\n\r\n";
  for (auto _ : state) {
    http::Http1Parser p(sink, 65536);
    for (size_t i = 0; i < msg.size(); i += 4096) p.feed(std::string_view(msg).substr(i, 4096));
  }
  benchmark::DoNotOptimize(sink.n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
}

void BM_SseFramingOnly(benchmark::State& state) {
  std::string text;
  while (text.size() < 1 << 20) text += "event: delta\ndata: {\"delta\":{\"text\":\"some generated words\"}}\n\n";
  size_t events = 0;
  for (auto _ : state) {
    http::SseParser p(1 << 20);
    for (size_t i = 0; i < text.size(); i += 4096) {
      p.feed(std::string_view(text).substr(i, 4096), [&](const http::SseEvent&, bool) { ++events; });
    }
  }
  benchmark::DoNotOptimize(events);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

// One recorded ClientHello (curl, 517 bytes) read for its server name per iteration: the work the
// agent does per TCP connection made while capture.tls_sni is on.
void BM_TlsClientHelloSni(benchmark::State& state) {
  std::string hello = fixture("curl.clienthello");
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(hello.data()), hello.size());
  size_t named = 0;
  for (auto _ : state) {
    auto h = tls::parse_client_hello(bytes);
    named += h && !h->sni.empty();
  }
  if (named != static_cast<size_t>(state.iterations())) state.SkipWithError("the recorded hello did not parse");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * hello.size()));
}

BENCHMARK(BM_OpenAiChatSse);
BENCHMARK(BM_OpenAiChatSseLongAnswer);
BENCHMARK(BM_AnthropicMessagesSse);
BENCHMARK(BM_OllamaChatNdjson);
BENCHMARK(BM_OpenAiResponsesJson);
BENCHMARK(BM_McpStreamableHttpSse);
BENCHMARK(BM_McpStdioLines);
BENCHMARK(BM_Http1ChunkedFramingOnly);
BENCHMARK(BM_SseFramingOnly);
BENCHMARK(BM_TlsClientHelloSni);

}  // namespace
}  // namespace ztai

BENCHMARK_MAIN();
