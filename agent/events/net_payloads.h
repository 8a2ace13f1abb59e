// Payloads of the network, DNS and blind-spot events (bpf/net.bpf.c, dns.bpf.c,
// blindspot.bpf.c). Addresses describe the flow: source initiated it (the caller of connect,
// the peer of an accept, the asker of a DNS query), destination is the other side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/common/ip_address.h"
#include "agent/protocols/dns/dns_message.h"
#include "agent/protocols/tls/client_hello.h"

namespace ztai {

// connect, accept, bind, listen, sendto, sendmsg, and tcp_close (the header's type says which).
struct NetPayload {
  int64_t res = 0;  // syscall result, or -errno; connect: the handshake's outcome
  int32_t fd = -1;  // -1 when unknown
  uint8_t proto = 0;  // IPPROTO_*
  IpAddress saddr;
  IpAddress daddr;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint64_t bytes_out = 0;  // tcp_close: payload bytes sent by the local side (retransmissions once)
  uint64_t bytes_in = 0;   // tcp_close: payload bytes received by the local side
  bool nonblocking = false;  // connect returned EINPROGRESS
  bool inbound = false;      // tcp_close: the connection was accepted
  bool addr_unreadable = false;

  // The local and remote ends, whichever side initiated.
  const IpAddress& local_addr() const { return inbound ? daddr : saddr; }
  const IpAddress& remote_addr() const { return inbound ? saddr : daddr; }
  uint16_t local_port() const { return inbound ? dport : sport; }
  uint16_t remote_port() const { return inbound ? sport : dport; }
};

// A DNS answer received from port 53.
struct DnsPayload {
  uint8_t proto = 0;
  IpAddress client;  // the local side that asked
  IpAddress server;
  uint16_t client_port = 0;
  uint16_t server_port = 0;
  uint32_t msg_len = 0;       // bytes on the wire
  bool truncated = false;     // the kernel captured less than msg_len
  std::optional<dns::Message> message;  // absent when the bytes did not parse
  std::string parse_error;
};

// tls_client_hello: the ClientHello a process wrote first on a TCP connection it made.
struct TlsHelloPayload {
  int32_t fd = -1;
  IpAddress saddr;  // the local end
  IpAddress daddr;  // the server
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t bytes = 0;      // bytes of the write; more than were captured when it exceeded the cap
  std::optional<tls::ClientHello> hello;  // absent when the bytes did not parse
  std::string parse_error;
};

struct IoUringSetupPayload {
  int64_t res = 0;  // the ring's fd, or -errno
  uint32_t entries = 0;
  uint32_t flags = 0;  // IORING_SETUP_*
};

// socket(2) with SOCK_RAW or in AF_PACKET.
struct RawSocketPayload {
  int64_t res = 0;
  uint32_t domain = 0;
  uint32_t type = 0;
  uint32_t protocol = 0;
};

}  // namespace ztai
