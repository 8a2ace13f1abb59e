// The TLS ClientHello as a client sends it in the first bytes of a connection: the server name
// (SNI) and the offered application protocols (ALPN), read from a captured prefix of the
// connection. It names the destination of TLS traffic whose plaintext is not captured (rustls,
// a statically linked BoringSSL).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/common/result.h"

namespace ztai::tls {

struct ClientHello {
  uint16_t version = 0;  // legacy_version of the hello (0x0303 also for TLS 1.3)
  std::string sni;       // host_name of server_name; empty when the client sent none
  std::vector<std::string> alpn;
};

// Parses the TLS records at the start of `bytes` (handshake fragments spread over several
// records are joined). Errors: not TLS or not a ClientHello, a malformed length, a name that is
// not a host name, or bytes that end before the extensions do (the prefix was cut).
Result<ClientHello> parse_client_hello(std::span<const uint8_t> bytes);

// Whether bytes may start a ClientHello: a TLS handshake record (checked before copying more).
bool looks_like_client_hello(std::span<const uint8_t> bytes);

}  // namespace ztai::tls
