// One captured piece of a byte stream: what a process wrote to or read from a TLS session, a
// socket or a pipe, with the identity of the process and the connection it belongs to. Kernel
// records (TLS uprobes, socket and pipe capture) are decoded into DataChunks; the
// ConversationTracker (agent/protocols/stream/conversation_tracker.h) reassembles them per
// connection and direction and turns them into HTTP, LLM and MCP events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/common/ip_address.h"
#include "agent/events/event.h"

namespace ztai {

// Egress: written by the process (a client's request, a server's response). Ingress: read by it.
enum class ChunkDirection : uint8_t { kEgress, kIngress };

enum class ChunkTransport : uint8_t {
  kTls,   // plaintext at the TLS library (OpenSSL, GnuTLS, Go crypto/tls)
  kTcp,   // plaintext socket
  kUnix,  // AF_UNIX stream socket
  kPipe,  // a pipe or FIFO (stdio of MCP servers)
};

constexpr std::string_view chunk_transport_name(ChunkTransport t) {
  switch (t) {
    case ChunkTransport::kTls: return "tls";
    case ChunkTransport::kTcp: return "tcp";
    case ChunkTransport::kUnix: return "unix";
    case ChunkTransport::kPipe: return "pipe";
  }
  return "unknown";
}

// An address and port of one end; absent (valid() false) when the capture could not tie the
// stream to a socket (TLS over a memory BIO, pipes).
struct ChunkEndpoint {
  IpAddress addr;
  uint16_t port = 0;

  bool valid() const { return addr.valid(); }
};

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
  // The call moved more bytes than were captured: data holds the first part only, and the
  // stream continues after a gap of (call size - data.size()) bytes.
  bool truncated = false;
  // Bytes of this direction lost before this chunk (ring full, capture cap), 0 when none. The
  // tracker resynchronises on the next message it can recognise.
  uint64_t lost_bytes = 0;
  std::string data;
};

}  // namespace ztai
