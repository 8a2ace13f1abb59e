// What describes a captured byte stream, shared by DataChunk (the capture's output) and the
// payloads of the events decoded from it (agent/events/ai_payloads.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "agent/common/ip_address.h"

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

}  // namespace ztai
