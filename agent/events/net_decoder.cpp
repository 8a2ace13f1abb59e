#include "agent/events/net_decoder.h"

#include <netinet/in.h>

#include <cstring>

#include "bpf/abi/events.h"

namespace ztai {
namespace {

template <typename Raw>
Status read_fixed(std::span<const std::byte> record, Raw& raw, std::string_view what) {
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "{} record of {} bytes is shorter than {}", what, record.size(),
                      sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  return {};
}

Status check_family(uint16_t family, std::string_view what) {
  if (family != AF_INET && family != AF_INET6) {
    return make_error(ErrorCode::kInvalidArgument, "{} record with address family {}", what, family);
  }
  return {};
}

}  // namespace

Result<Event> decode_net(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_net_event raw;
  if (Status s = read_fixed(record, raw, "network"); !s) return s.error();
  if (Status s = check_family(raw.family, "network"); !s) return s.error();
  NetPayload p;
  p.res = raw.res;
  p.fd = raw.fd;
  p.proto = raw.proto;
  // A dual-stack socket reaching an IPv4 peer uses ::ffff:a.b.c.d; rules name the IPv4 address.
  p.saddr = IpAddress::from_af(raw.family, raw.saddr).unmapped();
  p.daddr = IpAddress::from_af(raw.family, raw.daddr).unmapped();
  p.sport = raw.sport;
  p.dport = raw.dport;
  p.bytes_out = raw.bytes_out;
  p.bytes_in = raw.bytes_in;
  p.nonblocking = raw.flags & ZTAI_NET_NONBLOCKING;
  p.inbound = raw.flags & ZTAI_NET_INBOUND;
  p.addr_unreadable = raw.flags & ZTAI_NET_ADDR_UNREADABLE;
  return Event{hdr, p};
}

Result<Event> decode_dns(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_dns_event raw;
  if (Status s = read_fixed(record, raw, "dns"); !s) return s.error();
  if (Status s = check_family(raw.family, "dns"); !s) return s.error();
  size_t data_len = record.size() - sizeof(raw);
  if (raw.data_len != data_len || raw.data_len > ZTAI_DNS_MAX_DATA) {
    return make_error(ErrorCode::kInvalidArgument, "dns record: data_len {} but {} bytes follow the header",
                      raw.data_len, data_len);
  }
  DnsPayload p;
  p.proto = raw.proto;
  p.client = IpAddress::from_af(raw.family, raw.saddr).unmapped();
  p.server = IpAddress::from_af(raw.family, raw.daddr).unmapped();
  p.client_port = raw.sport;
  p.server_port = raw.dport;
  p.msg_len = raw.msg_len;
  p.truncated = raw.flags & ZTAI_DNS_TRUNCATED;
  auto msg = dns::parse_message(std::span(reinterpret_cast<const uint8_t*>(record.data()) + sizeof(raw), data_len));
  if (msg) {
    p.message = std::move(*msg);
  } else {
    p.parse_error = msg.error().message();
  }
  return Event{hdr, std::move(p)};
}

Result<Event> decode_io_uring_setup(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_io_uring_setup_event raw;
  if (Status s = read_fixed(record, raw, "io_uring_setup"); !s) return s.error();
  return Event{hdr, IoUringSetupPayload{raw.res, raw.entries, raw.flags}};
}

Result<Event> decode_raw_socket(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_raw_socket_event raw;
  if (Status s = read_fixed(record, raw, "raw_socket"); !s) return s.error();
  return Event{hdr, RawSocketPayload{raw.res, raw.domain, raw.type, raw.protocol}};
}

Result<Event> decode_tls_hello(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_tls_hello_event raw;
  if (Status s = read_fixed(record, raw, "tls_client_hello"); !s) return s.error();
  if (Status s = check_family(raw.family, "tls_client_hello"); !s) return s.error();
  size_t data_len = record.size() - sizeof(raw);
  if (raw.data_len != data_len || raw.data_len > ZTAI_TLS_HELLO_MAX || raw.data_len > raw.call_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "tls_client_hello record: data_len {} of a {}-byte write, but {} bytes follow the header",
                      raw.data_len, raw.call_bytes, data_len);
  }
  TlsHelloPayload p;
  p.fd = raw.fd;
  p.saddr = IpAddress::from_af(raw.family, raw.laddr).unmapped();
  p.daddr = IpAddress::from_af(raw.family, raw.raddr).unmapped();
  p.sport = raw.lport;
  p.dport = raw.rport;
  p.bytes = raw.call_bytes;
  auto hello = tls::parse_client_hello({reinterpret_cast<const uint8_t*>(record.data()) + sizeof(raw), data_len});
  if (hello) {
    p.hello = std::move(*hello);
  } else {
    p.parse_error = hello.error().message();
  }
  return Event{hdr, std::move(p)};
}

}  // namespace ztai
