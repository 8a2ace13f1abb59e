// One captured piece of a byte stream: what a process wrote to or read from a TLS session, a
// socket or a pipe, with the identity of the process and the connection it belongs to. Kernel
// records (TLS uprobes, socket and pipe capture) are decoded into DataChunks; the
// ConversationTracker (agent/protocols/stream/conversation_tracker.h) reassembles them per
// connection and direction and turns them into HTTP, LLM and MCP events.
#pragma once

#include <cstdint>
#include <string>

#include "agent/events/event.h"
#include "agent/protocols/stream_types.h"

namespace ztai {

struct DataChunk {
  // proc, tid, cgroup_id and boot_ns (when the call returned) of the capturing thread. The type is
  // not read: the tracker sets it on the events it emits.
  EventHeader hdr;
  // Stable for the life of one connection or session, unique among the connections alive at the
  // same time on the host (for example the TLS session pointer or socket cookie, or for pipes the
  // pipe's inode). Both directions of a connection carry the same id.
  uint64_t conn_id = 0;
  ChunkDirection direction = ChunkDirection::kEgress;
  ChunkTransport transport = ChunkTransport::kTls;
  ChunkEndpoint local;
  ChunkEndpoint remote;
  // Pipes: the process at the other end (the MCP client that started the server), 0 when unknown.
  uint32_t peer_tgid = 0;
  // The call moved more bytes than were captured: data holds the first part only, and the
  // stream continues after a gap of (call size - data.size()) bytes.
  bool truncated = false;
  // Bytes of this direction lost before this chunk (ring full, capture cap), 0 when none. The
  // tracker resynchronises on the next message it can recognise.
  uint64_t lost_bytes = 0;
  std::string data;
};

}  // namespace ztai
