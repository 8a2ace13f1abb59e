// Reassembles captured byte streams (DataChunks) per connection and direction, recognises the
// protocol (HTTP/1.1, HTTP/2, JSON-RPC lines on pipes and stdio sockets) and turns what it
// decodes into typed events: llm_request, llm_response and mcp_message.
//
// Use: one tracker per reader thread (not thread-safe). Call feed() for every chunk in capture
// order per direction; call close() when the connection or pipe ends (flushes a response read
// until close and frees the state); call expire() now and then to drop idle connections. Every
// call appends the events it completed to `out`, with the header of the chunk that completed
// them (its process, thread, cgroup and time) and the event type set.
//
// Memory is bounded by TrackerLimits: the least recently used connection is evicted beyond
// max_connections; a message head or body beyond its cap is cut (the event says so); bytes that
// match no protocol are dropped. Everything dropped is counted in TrackerStats.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "agent/events/event.h"
#include "agent/protocols/data_chunk.h"

namespace ztai {

struct TrackerLimits {
  size_t max_connections = 4096;
  size_t max_head_bytes = 64 * 1024;   // HTTP start line + headers, or one HTTP/2 header block
  size_t max_body_bytes = 1024 * 1024;  // one request or response body (or merged stream) kept for decoding
  size_t max_total_body_bytes = 64 * 1024 * 1024;  // bodies held by all connections together
  size_t max_line_bytes = 1024 * 1024;  // one JSON-RPC line on a pipe
  size_t max_pending = 64;              // requests awaiting their response on one connection
  uint64_t idle_ns = 300'000'000'000;   // expire(): a connection idle this long is dropped
};

struct TrackerStats {
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  uint64_t connections_evicted = 0;  // beyond max_connections (LRU) or idle
  uint64_t unrecognised_bytes = 0;   // matched no protocol, or skipped while resynchronising
  uint64_t lost_bytes = 0;           // reported lost by the capture (DataChunk::lost_bytes)
  uint64_t truncated_chunks = 0;     // chunks the capture cut (DataChunk::truncated)
  uint64_t truncated_messages = 0;   // a head, body or line cut at its cap or by a loss
  uint64_t parse_errors = 0;         // malformed HTTP/HTTP2/JSON; the direction resynchronises
  uint64_t unpaired_responses = 0;   // a response with no request seen before it
  uint64_t events = 0;               // events emitted
};

class ConversationTracker {
 public:
  explicit ConversationTracker(TrackerLimits limits = {});
  ~ConversationTracker();
  ConversationTracker(const ConversationTracker&) = delete;
  ConversationTracker& operator=(const ConversationTracker&) = delete;

  void feed(const DataChunk& chunk, std::vector<Event>& out);
  // The connection ended; `hdr` is the closing thread's (time and identity of flushed events).
  void close(uint64_t conn_id, const EventHeader& hdr, std::vector<Event>& out);
  // Drops connections idle since before now_ns - idle_ns, flushing nothing.
  void expire(uint64_t now_ns);

  const TrackerStats& stats() const { return stats_; }
  size_t connections() const;

 private:
  struct State;
  TrackerLimits limits_;
  TrackerStats stats_;
  std::unique_ptr<State> state_;
};

}  // namespace ztai
