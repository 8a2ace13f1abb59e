#include "agent/protocols/stream/conversation_tracker.h"

#include <deque>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>

#include "agent/protocols/http/content_decoding.h"
#include "agent/protocols/http/http1_parser.h"
#include "agent/protocols/http/http2_reader.h"
#include "agent/protocols/http/sse_parser.h"
#include "agent/protocols/llm/api_key.h"
#include "agent/protocols/llm/llm_decoder.h"
#include "agent/protocols/mcp/jsonrpc.h"

namespace ztai {
namespace {

constexpr size_t kDetectBytes = http::kHttp2Preface.size();
constexpr size_t kMaxIdsPerProcess = 256;
constexpr size_t kMaxMcpProcesses = 1024;

bool is_json_start(char c) { return c == '{' || c == '['; }

// A server's first HTTP/2 frame (SETTINGS on stream 0). It can be captured before the client's
// preface (the two directions come from different calls, possibly different CPUs): such bytes
// wait for the other direction to tell.
bool maybe_h2_settings(std::string_view b) {
  if (b.size() < 9 || b[3] != 0x04 || (static_cast<uint8_t>(b[4]) & ~1u) != 0) return false;
  uint32_t len = (uint32_t{static_cast<uint8_t>(b[0])} << 16) | (uint32_t{static_cast<uint8_t>(b[1])} << 8) |
                 static_cast<uint8_t>(b[2]);
  return len % 6 == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0;
}

bool contains(const std::string* value, std::string_view what) {
  return value && value->find(what) != std::string::npos;
}

enum class BodyKind { kIgnore, kJson, kSse, kNdjson };

// Bytes of bodies held across all connections, against TrackerLimits::max_total_body_bytes.
struct BodyBudget {
  size_t used = 0;
  size_t max = 0;
};

// One request and its response.
struct Exchange {
  explicit Exchange(BodyBudget& b) : budget(b) {}
  ~Exchange() { budget.used -= held; }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Appends to a body within the per-message cap and the tracker-wide budget; false when cut.
  bool append(std::string& body, std::string_view data, size_t cap) {
    size_t room = cap - std::min(cap, body.size());
    room = std::min(room, budget.max - std::min(budget.max, budget.used));
    size_t n = std::min(room, data.size());
    body.append(data.substr(0, n));
    held += n;
    budget.used += n;
    return n == data.size();
  }
  void release(std::string& body) {
    held -= body.size();
    budget.used -= body.size();
    body.clear();
    body.shrink_to_fit();
  }

  BodyBudget& budget;
  size_t held = 0;
  HttpInfo http;
  std::optional<llm::Route> route;
  bool maybe_mcp = false;  // not an LLM API, but its bodies may carry JSON-RPC (Streamable HTTP)
  bool head_method = false;
  // The direction the request travels in: 0 egress (the capturing process is the client), 1
  // ingress (it is the server). HTTP/2 also tells DATA apart by it.
  int request_dir = 0;
  bool request_done = false;
  bool response_started = false;
  bool response_done = false;
  std::string req_body;
  bool req_truncated = false;
  uint64_t request_end_ns = 0;
  LlmPayload llm;  // request fields; completed with the response's
  std::unique_ptr<http::ContentDecoder> req_decoder;  // Content-Encoding: gzip...
  std::unique_ptr<http::ContentDecoder> resp_decoder;
  BodyKind resp_kind = BodyKind::kIgnore;
  std::string resp_body;
  bool resp_truncated = false;
  std::optional<http::SseParser> sse;
  std::optional<llm::StreamMerger> merger;
  std::string line;  // NDJSON line in progress
};

}  // namespace

struct ConversationTracker::State {
  struct Conn;

  // The Http1Sink / Http2Sink of one direction: routes what its parser finds to the exchanges.
  struct Side : http::Http1Sink, http::Http2Sink {
    Conn* conn = nullptr;
    int dir = 0;
    Exchange* current = nullptr;  // HTTP/1: the message this side is receiving
    bool current_is_request = false;

    void on_head(const http::MessageHead& head) override;
    void on_body(std::string_view data) override;
    void on_message_end() override;
    bool response_to_head() override;
    void on_h2_head(uint32_t stream, const http::MessageHead& head) override;
    void on_h2_data(uint32_t stream, std::string_view data) override;
    void on_h2_end(uint32_t stream, bool reset) override;
    void on_h2_table_size(uint32_t size) override;
  };

  enum class Proto { kUndecided, kHttp1, kHttp2, kLines };

  struct Direction {
    Proto proto = Proto::kUndecided;
    std::string detect;  // first bytes, until the protocol is known
    std::unique_ptr<http::Http1Parser> h1;
    std::unique_ptr<http::Http2Reader> h2;
    std::string line;
    bool line_skip = false;  // after a loss or an oversized line: drop up to the next newline
    Side side;
  };

  struct Conn {
    State* state = nullptr;
    StreamInfo stream;
    uint64_t last_ns = 0;
    std::list<uint64_t>::iterator lru;
    std::array<Direction, 2> dirs;
    bool http2 = false;
    std::deque<std::unique_ptr<Exchange>> pending;  // HTTP/1, in request order
    std::map<uint32_t, std::unique_ptr<Exchange>> streams;  // HTTP/2, by stream id
    const DataChunk* chunk = nullptr;  // the chunk being fed: its header stamps events
    EventHeader hdr;

    // Drops the oldest HTTP/1 exchange; a side still receiving one of its messages lets go.
    void forget_front() {
      for (Direction& d : dirs) {
        if (d.side.current == pending.front().get()) d.side.current = nullptr;
      }
      pending.pop_front();
    }
  };

  explicit State(ConversationTracker& t) : tracker(t) {}

  ConversationTracker& tracker;
  BodyBudget budget;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;
  std::list<uint64_t> lru;  // most recent first
  // MCP request ids -> method, per process: a response may come on another pipe or connection.
  std::map<std::pair<uint32_t, uint64_t>, std::map<std::string, std::string>> mcp_ids;
  std::vector<Event>* out = nullptr;

  const TrackerLimits& limits() const { return tracker.limits_; }
  TrackerStats& stats() { return tracker.stats_; }

  Conn& conn_for(const DataChunk& c);
  void drop(uint64_t id);
  void feed_direction(Conn& c, int dir, std::string_view data);
  void lose(Conn& c, int dir);
  void decide(Conn& c, int dir);
  void feed_lines(Conn& c, Direction& d, std::string_view data);
  void json_rpc(Conn& c, std::string_view text, ChunkDirection direction, const HttpInfo* http);
  void emit(Conn& c, EventType type, std::variant<LlmPayload, McpPayload> payload);
  void exchange_head(Conn& c, Exchange& x, const http::MessageHead& head);
  void request_body(Exchange& x, std::string_view data);
  // Inflates a compressed body; false when nothing should be passed on.
  bool decode_body(Exchange& x, http::ContentDecoder& d, std::string_view data, std::string& plain, bool& truncated);
  void response_plain(Conn& c, Exchange& x, std::string_view data);
  void request_end(Conn& c, Exchange& x);
  void response_head(Exchange& x, const http::MessageHead& head);
  void response_body(Conn& c, Exchange& x, std::string_view data);
  void response_end(Conn& c, Exchange& x);
};

// --- HTTP/1 side ---------------------------------------------------------------------------

void ConversationTracker::State::Side::on_head(const http::MessageHead& head) {
  State& s = *conn->state;
  if (current && !(current_is_request ? current->request_done : current->response_done)) {
    s.stats().truncated_messages++;  // the previous message was abandoned by a resync
  }
  current_is_request = head.request;
  if (head.request) {
    if (conn->pending.size() >= s.limits().max_pending) {
      conn->forget_front();
      s.stats().truncated_messages++;
    }
    conn->pending.push_back(std::make_unique<Exchange>(s.budget));
    current = conn->pending.back().get();
    current->request_dir = dir;
    s.exchange_head(*conn, *current, head);
    return;
  }
  current = nullptr;
  if (head.status < 200) return;  // interim (100 Continue): the final head follows
  for (auto& x : conn->pending) {
    if (!x->response_started) {
      current = x.get();
      break;
    }
  }
  if (!current) {
    s.stats().unpaired_responses++;
    return;
  }
  s.response_head(*current, head);
}

bool ConversationTracker::State::Side::response_to_head() {
  for (auto& x : conn->pending) {
    if (!x->response_started) return x->head_method;
  }
  return false;
}

void ConversationTracker::State::Side::on_body(std::string_view data) {
  if (!current) return;
  if (current_is_request) {
    conn->state->request_body(*current, data);
  } else {
    conn->state->response_body(*conn, *current, data);
  }
}

void ConversationTracker::State::Side::on_message_end() {
  if (!current) return;
  State& s = *conn->state;
  Exchange* x = current;
  current = nullptr;
  if (current_is_request) {
    s.request_end(*conn, *x);
    return;
  }
  s.response_end(*conn, *x);
  // Responses come in request order: this one and any request before it are done.
  while (!conn->pending.empty()) {
    bool done = conn->pending.front().get() == x;
    conn->forget_front();
    if (done) break;
  }
}

// --- HTTP/2 side ---------------------------------------------------------------------------

void ConversationTracker::State::Side::on_h2_head(uint32_t stream, const http::MessageHead& head) {
  State& s = *conn->state;
  auto& slot = conn->streams[stream];
  if (head.request) {
    if (!slot && conn->streams.size() > s.limits().max_pending) {
      // The oldest other stream is forgotten (ids grow, so the first one that is not this).
      auto oldest = conn->streams.begin();
      if (oldest->first == stream) ++oldest;
      conn->streams.erase(oldest);
      s.stats().truncated_messages++;
    }
    slot = std::make_unique<Exchange>(s.budget);
    slot->request_dir = dir;
    s.exchange_head(*conn, *slot, head);
    return;
  }
  if (!slot) {
    conn->streams.erase(stream);
    s.stats().unpaired_responses++;
    return;
  }
  if (!slot->response_started) s.response_head(*slot, head);  // later blocks are trailers
}

void ConversationTracker::State::Side::on_h2_data(uint32_t stream, std::string_view data) {
  auto it = conn->streams.find(stream);
  if (it == conn->streams.end()) return;
  Exchange& x = *it->second;
  if (dir == x.request_dir) {
    if (!x.request_done) conn->state->request_body(x, data);
  } else if (x.response_started) {
    conn->state->response_body(*conn, x, data);
  }
}

void ConversationTracker::State::Side::on_h2_end(uint32_t stream, bool reset) {
  State& s = *conn->state;
  auto it = conn->streams.find(stream);
  if (it == conn->streams.end()) return;
  Exchange& x = *it->second;
  if (reset) {
    if (!x.response_done) s.stats().truncated_messages++;
    conn->streams.erase(it);
    return;
  }
  if (dir == x.request_dir) {
    if (!x.request_done) s.request_end(*conn, x);
  } else if (x.response_started && !x.response_done) {
    s.response_end(*conn, x);
    conn->streams.erase(it);
  }
}

void ConversationTracker::State::Side::on_h2_table_size(uint32_t size) {
  // This side's decoder limit bounds what the other side's encoder may use.
  Direction& other = conn->dirs[1 - dir];
  if (other.h2) other.h2->set_table_size(size);
}

// --- exchanges -----------------------------------------------------------------------------

void ConversationTracker::State::exchange_head(Conn& c, Exchange& x, const http::MessageHead& head) {
  x.http.version = c.http2 ? 2 : 1;
  x.http.method = head.method;
  x.http.path = head.target;
  if (const std::string* host = head.find("host")) x.http.host = *host;
  x.head_method = head.method == "HEAD";
  x.route = llm::classify(head);
  const std::string* ctype = head.find("content-type");
  if (const std::string* enc = head.find("content-encoding")) {
    x.req_decoder = http::ContentDecoder::for_encoding(*enc, limits().max_body_bytes);
  }
  if (x.route) {
    LlmPayload& p = x.llm;
    p.stream = c.stream;
    p.http = x.http;
    p.provider = x.route->provider;
    p.endpoint = x.route->endpoint;
    p.api_key_id = llm::api_key_id(p.provider, head);
    p.server_side = x.request_dir == 1;
  } else {
    // Streamable HTTP: JSON-RPC POSTed as JSON; a GET may open an SSE stream of messages.
    x.maybe_mcp = (head.method == "POST" && (!ctype || contains(ctype, "json"))) ||
                  (head.method == "GET" && contains(head.find("accept"), "text/event-stream"));
  }
}

bool ConversationTracker::State::decode_body(Exchange& x, http::ContentDecoder& d, std::string_view data,
                                             std::string& plain, bool& truncated) {
  if (d.unsupported()) {
    if (x.llm.error.empty()) x.llm.error = "body in content-encoding " + d.encoding() + " is not decoded";
    return false;
  }
  if (!d.feed(data, plain)) {
    if (d.capped() && !truncated) {
      truncated = true;
      stats().truncated_messages++;
    } else if (!d.capped() && x.llm.error.empty()) {
      x.llm.error = "content-encoding " + d.encoding() + ": " + d.error();
      stats().parse_errors++;
    }
  }
  return !plain.empty();
}

void ConversationTracker::State::request_body(Exchange& x, std::string_view data) {
  if (!x.route && !x.maybe_mcp) return;
  std::string plain;
  if (x.req_decoder) {
    if (!decode_body(x, *x.req_decoder, data, plain, x.req_truncated)) return;
    data = plain;
  }
  if (!x.append(x.req_body, data, limits().max_body_bytes) && !x.req_truncated) {
    x.req_truncated = true;
    stats().truncated_messages++;
  }
}

void ConversationTracker::State::request_end(Conn& c, Exchange& x) {
  x.request_done = true;
  x.request_end_ns = c.hdr.boot_ns;
  if (x.route) {
    LlmPayload& p = x.llm;
    p.body_truncated = x.req_truncated;
    llm::decode_request(x.route->api, x.req_body, p);
    emit(c, EventType::kLlmRequest, p);
    // The response repeats the request's identity, not its prompt and tools.
    p.prompt.clear();
    p.tools.clear();
    p.error.clear();
    p.body_truncated = false;
  } else if (x.maybe_mcp && !x.req_body.empty()) {
    json_rpc(c, x.req_body, c.chunk ? c.chunk->direction : ChunkDirection::kEgress, &x.http);
  }
  x.release(x.req_body);
}

void ConversationTracker::State::response_head(Exchange& x, const http::MessageHead& head) {
  if (head.status >= 100 && head.status < 200) return;  // interim: the real head follows
  x.response_started = true;
  x.http.status = head.status;
  x.llm.http.status = head.status;
  if (!x.route && !x.maybe_mcp) return;
  const std::string* ctype = head.find("content-type");
  if (const std::string* enc = head.find("content-encoding")) {
    x.resp_decoder = http::ContentDecoder::for_encoding(*enc, limits().max_body_bytes);
  }
  if (contains(ctype, "text/event-stream")) {
    x.resp_kind = BodyKind::kSse;
    x.sse.emplace(limits().max_body_bytes);
  } else if (contains(ctype, "ndjson") || (x.route && x.llm.stream_requested &&
                                           (x.route->api == llm::Api::kOllamaChat ||
                                            x.route->api == llm::Api::kOllamaGenerate) &&
                                           head.status < 400)) {
    x.resp_kind = BodyKind::kNdjson;
  } else if (x.route || contains(ctype, "json")) {
    x.resp_kind = BodyKind::kJson;
  }
  if (x.route && (x.resp_kind == BodyKind::kSse || x.resp_kind == BodyKind::kNdjson)) {
    x.merger.emplace(x.route->api, x.llm, limits().max_body_bytes);
  }
}

void ConversationTracker::State::response_body(Conn& c, Exchange& x, std::string_view data) {
  if (x.resp_kind == BodyKind::kIgnore) return;
  if (!x.resp_decoder) {
    response_plain(c, x, data);
    return;
  }
  std::string plain;
  if (decode_body(x, *x.resp_decoder, data, plain, x.resp_truncated)) response_plain(c, x, plain);
}

void ConversationTracker::State::response_plain(Conn& c, Exchange& x, std::string_view data) {
  switch (x.resp_kind) {
    case BodyKind::kIgnore: return;
    case BodyKind::kJson: {
      if (!x.append(x.resp_body, data, limits().max_body_bytes) && !x.resp_truncated) {
        x.resp_truncated = true;
        stats().truncated_messages++;
      }
      return;
    }
    case BodyKind::kSse:
      x.sse->feed(data, [&](const http::SseEvent& e, bool truncated) {
        if (truncated) {
          x.llm.body_truncated = true;
          stats().truncated_messages++;
        }
        if (x.merger) {
          x.merger->on_sse(e);
        } else if (!truncated) {
          json_rpc(c, e.data, c.chunk ? c.chunk->direction : ChunkDirection::kIngress, &x.http);
        }
      });
      return;
    case BodyKind::kNdjson:
      while (!data.empty()) {
        size_t nl = data.find('\n');
        std::string_view part = data.substr(0, nl);
        if (x.line.size() + part.size() <= limits().max_line_bytes) {
          x.line.append(part);
        } else if (!x.llm.body_truncated) {
          x.llm.body_truncated = true;
          stats().truncated_messages++;
        }
        if (nl == std::string_view::npos) return;
        data.remove_prefix(nl + 1);
        if (x.merger) x.merger->on_json_line(x.line);
        x.line.clear();
      }
      return;
  }
}

void ConversationTracker::State::response_end(Conn& c, Exchange& x) {
  x.response_done = true;
  if (!x.line.empty() && x.merger) x.merger->on_json_line(x.line);
  if (x.route) {
    LlmPayload& p = x.llm;
    p.http = x.http;
    if (x.resp_kind == BodyKind::kJson) decode_response(x.route->api, x.resp_body, p);
    if (x.resp_truncated) p.body_truncated = true;
    if (x.request_done && c.hdr.boot_ns >= x.request_end_ns) p.latency_ns = c.hdr.boot_ns - x.request_end_ns;
    x.merger.reset();
    emit(c, EventType::kLlmResponse, std::move(p));
  } else if (x.maybe_mcp && x.resp_kind == BodyKind::kJson && !x.resp_body.empty()) {
    json_rpc(c, x.resp_body, c.chunk ? c.chunk->direction : ChunkDirection::kIngress, &x.http);
  }
}

// --- JSON-RPC ------------------------------------------------------------------------------

void ConversationTracker::State::json_rpc(Conn& c, std::string_view text, ChunkDirection direction, const HttpInfo* http) {
  std::vector<McpPayload> messages = mcp::decode(text);
  if (messages.empty()) return;
  auto key = std::make_pair(c.hdr.proc.tgid, c.hdr.proc.start_ticks);
  for (McpPayload& m : messages) {
    bool request = m.kind == McpKind::kRequest || m.kind == McpKind::kNotification;
    if (request) {
      if (!mcp::is_mcp_method(m.method)) continue;
      if (m.kind == McpKind::kRequest) {
        if (mcp_ids.size() >= kMaxMcpProcesses && !mcp_ids.contains(key)) mcp_ids.erase(mcp_ids.begin());
        auto& ids = mcp_ids[key];
        if (ids.size() >= kMaxIdsPerProcess) ids.erase(ids.begin());
        ids[m.id] = m.method;
      }
    } else {
      // A result or error is MCP when its request was; its method is the request's.
      auto proc = mcp_ids.find(key);
      if (proc == mcp_ids.end()) continue;
      if (auto it = proc->second.find(m.id); it != proc->second.end()) {
        m.method = it->second;
        proc->second.erase(it);
      }
    }
    m.stream = c.stream;
    m.direction = direction;
    if (http) m.http = *http;
    emit(c, EventType::kMcpMessage, std::move(m));
  }
}

void ConversationTracker::State::feed_lines(Conn& c, Direction& d, std::string_view data) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view part = data.substr(0, nl);
    if (!d.line_skip) {
      if (d.line.size() + part.size() > limits().max_line_bytes) {
        stats().truncated_messages++;
        stats().unrecognised_bytes += d.line.size() + part.size();
        d.line.clear();
        d.line_skip = true;
      } else {
        d.line.append(part);
      }
    } else {
      stats().unrecognised_bytes += part.size();
    }
    if (nl == std::string_view::npos) return;
    data.remove_prefix(nl + 1);
    if (!d.line_skip) {
      std::string_view line = d.line;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (!line.empty()) json_rpc(c, line, c.chunk->direction, nullptr);
    }
    d.line.clear();
    d.line_skip = false;
  }
}

// A gap in the direction: the message in progress is abandoned and the parser resynchronises
// (HTTP/1 at the next message start, lines at the next newline; HTTP/2 cannot).
void ConversationTracker::State::lose(Conn& c, int dir) {
  Direction& d = c.dirs[dir];
  if (d.h1 && d.h1->in_message() && !d.side.current) stats().truncated_messages++;  // a head cut
  if (d.h1) d.h1->lose();
  if (d.h2) d.h2->lose();
  if (Exchange* x = d.side.current) {
    (d.side.current_is_request ? x->req_truncated : x->resp_truncated) = true;
    d.side.current = nullptr;
    stats().truncated_messages++;
  }
  if (d.proto == Proto::kLines) {
    d.line.clear();
    d.line_skip = true;
  }
}

// --- connections ---------------------------------------------------------------------------

void ConversationTracker::State::emit(Conn& c, EventType type, std::variant<LlmPayload, McpPayload> payload) {
  Event e;
  e.hdr = c.hdr;
  e.hdr.type = type;
  std::visit([&](auto&& p) { e.payload = std::move(p); }, std::move(payload));
  out->push_back(std::move(e));
  stats().events++;
}

ConversationTracker::State::Conn& ConversationTracker::State::conn_for(const DataChunk& chunk) {
  auto it = conns.find(chunk.conn_id);
  if (it != conns.end()) {
    Conn& c = *it->second;
    lru.splice(lru.begin(), lru, c.lru);
    if (!c.stream.local.valid() && chunk.local.valid()) c.stream.local = chunk.local;
    if (!c.stream.remote.valid() && chunk.remote.valid()) c.stream.remote = chunk.remote;
    return c;
  }
  while (!conns.empty() && conns.size() >= limits().max_connections) {
    drop(lru.back());
    stats().connections_evicted++;
  }
  auto c = std::make_unique<Conn>();
  c->state = this;
  c->stream = {chunk.conn_id, chunk.transport, chunk.local, chunk.remote, chunk.peer_tgid};
  for (int i = 0; i < 2; ++i) {
    c->dirs[i].side.conn = c.get();
    c->dirs[i].side.dir = i;
  }
  lru.push_front(chunk.conn_id);
  c->lru = lru.begin();
  Conn& ref = *c;
  conns.emplace(chunk.conn_id, std::move(c));
  return ref;
}

void ConversationTracker::State::drop(uint64_t id) {
  auto it = conns.find(id);
  if (it == conns.end()) return;
  lru.erase(it->second->lru);
  conns.erase(it);
}

// Picks the direction's protocol from its first bytes: the HTTP/2 preface, an HTTP/1 start line,
// or JSON text. Pipes carry only JSON-RPC lines. Anything else is treated as HTTP/1 joined
// mid-stream: the parser skips to the next message start.
void ConversationTracker::State::decide(Conn& c, int dir) {
  Direction& d = c.dirs[dir];
  std::string_view b = d.detect;
  Proto proto = Proto::kUndecided;
  size_t ws = b.find_first_not_of(" \t\r\n");
  if (c.stream.transport == ChunkTransport::kPipe) {
    proto = Proto::kLines;
  } else if (c.http2) {
    proto = Proto::kHttp2;
  } else if (http::kHttp2Preface.starts_with(b.substr(0, kDetectBytes))) {
    if (b.size() >= kDetectBytes) proto = Proto::kHttp2;
  } else if (ws != std::string_view::npos && is_json_start(b[ws])) {
    proto = Proto::kLines;
  } else if (maybe_h2_settings(b)) {
    if (b.size() >= limits().max_head_bytes) proto = Proto::kHttp1;  // no preface came: give up waiting
  } else if (b.size() >= 9) {
    proto = Proto::kHttp1;
  }
  if (proto == Proto::kUndecided) return;
  d.proto = proto;
  std::string bytes = std::move(d.detect);
  d.detect.clear();
  switch (proto) {
    case Proto::kHttp2: {
      bool preface = !c.http2;
      c.http2 = true;
      d.h2 = std::make_unique<http::Http2Reader>(d.side, preface, limits().max_head_bytes);
      feed_direction(c, dir, bytes);
      // The other side may have sent its SETTINGS before the preface was recognised.
      Direction& o = c.dirs[1 - dir];
      if (o.proto == Proto::kUndecided && !o.detect.empty()) decide(c, 1 - dir);
      return;
    }
    case Proto::kHttp1:
      d.h1 = std::make_unique<http::Http1Parser>(d.side, limits().max_head_bytes);
      if (!http::Http1Parser::looks_like_start(bytes)) d.h1->lose();
      break;
    case Proto::kLines:
    case Proto::kUndecided: break;
  }
  feed_direction(c, dir, bytes);
}

void ConversationTracker::State::feed_direction(Conn& c, int dir, std::string_view data) {
  Direction& d = c.dirs[dir];
  switch (d.proto) {
    case Proto::kUndecided: {
      while (!data.empty() && d.proto == Proto::kUndecided) {
        size_t cap = maybe_h2_settings(d.detect) ? limits().max_head_bytes : kDetectBytes;
        size_t n = std::min(data.size(), cap - std::min(cap, d.detect.size()));
        d.detect.append(data.substr(0, n));
        data.remove_prefix(n);
        decide(c, dir);
      }
      if (!data.empty()) feed_direction(c, dir, data);
      return;
    }
    case Proto::kHttp1: {
      d.h1->chunk_boundary();
      uint64_t skipped = d.h1->skipped_bytes();
      if (!d.h1->feed(data)) stats().parse_errors++;
      stats().unrecognised_bytes += d.h1->skipped_bytes() - skipped;
      return;
    }
    case Proto::kHttp2:
      if (d.h2->dead()) {
        stats().unrecognised_bytes += data.size();
        return;
      }
      if (!d.h2->feed(data)) stats().parse_errors++;
      return;
    case Proto::kLines:
      feed_lines(c, d, data);
      return;
  }
}

ConversationTracker::ConversationTracker(TrackerLimits limits)
    : limits_(limits), state_(std::make_unique<State>(*this)) {
  state_->budget.max = limits_.max_total_body_bytes;
}

ConversationTracker::~ConversationTracker() = default;

size_t ConversationTracker::connections() const { return state_->conns.size(); }

void ConversationTracker::feed(const DataChunk& chunk, std::vector<Event>& out) {
  stats_.chunks++;
  stats_.bytes += chunk.data.size();
  State& s = *state_;
  s.out = &out;
  State::Conn& c = s.conn_for(chunk);
  c.chunk = &chunk;
  c.hdr = chunk.hdr;
  c.last_ns = chunk.hdr.boot_ns;
  int dir = chunk.direction == ChunkDirection::kEgress ? 0 : 1;
  if (chunk.lost_bytes > 0) {
    stats_.lost_bytes += chunk.lost_bytes;
    s.lose(c, dir);
  }
  s.feed_direction(c, dir, chunk.data);
  if (chunk.truncated) {
    // The rest of this call's bytes are missing: the next chunk starts after a gap.
    stats_.truncated_chunks++;
    s.lose(c, dir);
  }
  c.chunk = nullptr;
  s.out = nullptr;
}

void ConversationTracker::close(uint64_t conn_id, const EventHeader& hdr, std::vector<Event>& out) {
  State& s = *state_;
  auto it = s.conns.find(conn_id);
  if (it == s.conns.end()) return;
  State::Conn& c = *it->second;
  s.out = &out;
  c.hdr = hdr;
  for (State::Direction& d : c.dirs) {
    if (d.h1 && !d.h1->finish()) stats_.truncated_messages++;
    if (d.proto == State::Proto::kLines && !d.line_skip && !d.line.empty()) {
      // A last message not followed by a newline.
      s.json_rpc(c, d.line, &d == &c.dirs[0] ? ChunkDirection::kEgress : ChunkDirection::kIngress, nullptr);
    }
  }
  s.out = nullptr;
  s.drop(conn_id);
}

void ConversationTracker::expire(uint64_t now_ns) {
  State& s = *state_;
  while (!s.lru.empty()) {
    State::Conn& c = *s.conns.at(s.lru.back());
    if (c.last_ns + limits_.idle_ns >= now_ns) break;
    s.drop(s.lru.back());
    stats_.connections_evicted++;
  }
}

}  // namespace ztai
