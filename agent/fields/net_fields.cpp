#include "agent/fields/net_fields.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

std::string proto_name(uint8_t proto) {
  switch (proto) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_ICMP: return "icmp";
    case IPPROTO_ICMPV6: return "icmp6";
    case IPPROTO_RAW: return "raw";
  }
  return std::to_string(proto);
}

FieldValue address(const IpAddress& a) { return a.valid() ? FieldValue(a.to_string()) : FieldValue(); }

// The flow's source and destination for network and DNS events alike.
struct Flow {
  const IpAddress* src = nullptr;
  const IpAddress* dst = nullptr;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
};

std::optional<Flow> flow_of(const Event& e) {
  if (const NetPayload* n = e.as<NetPayload>()) return Flow{&n->saddr, &n->daddr, n->sport, n->dport, n->proto};
  if (const TlsHelloPayload* t = e.as<TlsHelloPayload>()) {
    return Flow{&t->saddr, &t->daddr, t->sport, t->dport, IPPROTO_TCP};
  }
  if (const DnsPayload* d = e.as<DnsPayload>()) {
    return Flow{&d->client, &d->server, d->client_port, d->server_port, d->proto};
  }
  // A policy denial knows the destination only: the call never got a source.
  if (const NetDenialPayload* d = e.as<NetDenialPayload>()) {
    static const IpAddress kNone;
    return Flow{&kNone, &d->daddr, 0, d->dport, d->protocol};
  }
  return std::nullopt;
}

template <typename Get>
FieldValue of_flow(const EventContext& c, Get get) {
  auto f = flow_of(c.event);
  return f ? FieldValue(get(*f)) : FieldValue();
}

template <typename Get>
FieldValue of_net(const EventContext& c, Get get) {
  const NetPayload* n = c.event.as<NetPayload>();
  return n ? FieldValue(get(*n)) : FieldValue();
}

// Fields of an answer: absent for a query.
template <typename Get>
FieldValue of_answer(const EventContext& c, Get get) {
  const DnsPayload* d = c.event.as<DnsPayload>();
  return d && d->message && d->message->is_response ? FieldValue(get(*d->message)) : FieldValue();
}

bool is_tcp_close(const EventContext& c) { return c.event.hdr.type == EventType::kTcpClose; }

std::string domain_name(uint32_t domain) {
  switch (domain) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_PACKET: return "AF_PACKET";
  }
  return std::to_string(domain);
}

std::string socket_type_name(uint32_t type) {
  switch (type) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
  }
  return std::to_string(type);
}

}  // namespace

void add_net_fields(FieldRegistry& r) {
  using T = FieldType;
  // net.*: the flow, source being the side that initiated it
  add(r, {"net.sip", T::kString, "Source address: the connecting side (connect: local; accept: the peer; dns: the asker)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            auto f = flow_of(c.event);
            return f ? address(*f->src) : FieldValue();
          }});
  add(r, {"net.sport", T::kUInt, "Source port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_flow(c, [](const Flow& f) { return uint64_t{f.sport}; });
          }});
  add(r, {"net.dip", T::kString, "Destination address: the side connected to (connect: the server; dns: the resolver)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            auto f = flow_of(c.event);
            return f ? address(*f->dst) : FieldValue();
          }});
  add(r, {"net.dport", T::kUInt, "Destination port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_flow(c, [](const Flow& f) { return uint64_t{f.dport}; });
          }});
  add(r, {"net.proto", T::kString, "Transport protocol: tcp, udp, icmp, or the IP protocol number",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_flow(c, [](const Flow& f) { return proto_name(f.proto); });
          }});
  add(r, {"net.bytes_out", T::kUInt, "tcp_close: payload bytes the local side sent (a retransmission counts once)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!is_tcp_close(c)) return {};
            return of_net(c, [](const NetPayload& n) { return n.bytes_out; });
          }});
  add(r, {"net.bytes_in", T::kUInt, "tcp_close: payload bytes the local side received",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!is_tcp_close(c)) return {};
            return of_net(c, [](const NetPayload& n) { return n.bytes_in; });
          }});
  add(r, {"net.nonblocking", T::kBool, "connect: the call returned EINPROGRESS; evt.res is the handshake's outcome",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (c.event.hdr.type != EventType::kConnect) return {};
            return of_net(c, [](const NetPayload& n) { return n.nonblocking; });
          }});
  add(r, {"net.dns.names", T::kStringList,
          "Names the remote address was resolved from, learnt from DNS answers received earlier (unexpired)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const NetPayload* n = c.event.as<NetPayload>();
            if (!n || !c.dns_names) return {};
            return c.dns_names->names_for(n->remote_addr(), c.event.hdr.boot_ns);
          }});

  // net.dns.*: the answer of a dns event
  add(r, {"net.dns.query", T::kString, "dns, dns_query: the name asked for (first question)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const DnsPayload* d = c.event.as<DnsPayload>();
            if (!d || !d->message || d->message->questions.empty()) return {};
            return d->message->questions.front().name;
          }});
  add(r, {"net.dns.qtype", T::kString, "dns, dns_query: the record type asked for (A, AAAA...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const DnsPayload* d = c.event.as<DnsPayload>();
            if (!d || !d->message || d->message->questions.empty()) return {};
            return dns::type_name(d->message->questions.front().type);
          }});
  add(r, {"net.dns.answers", T::kStringList, "dns: the answers' values (addresses, CNAME targets)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_answer(c, [](const dns::Message& m) {
              std::vector<std::string> out;
              for (const dns::ResourceRecord& rr : m.answers) out.push_back(rr.value());
              return out;
            });
          }});
  add(r, {"net.dns.rcode", T::kString, "dns: the response code (NOERROR, NXDOMAIN, SERVFAIL...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_answer(c, [](const dns::Message& m) { return dns::rcode_name(m.rcode); });
          }});
  add(r, {"net.dns.error", T::kString, "dns, dns_query: why the message could not be parsed (hostile or cut)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const DnsPayload* d = c.event.as<DnsPayload>();
            if (!d || d->parse_error.empty()) return {};
            return d->parse_error;
          }});

  // fd.* of sockets, as Falco names them: client/server by who initiated, local/remote by side
  add(r, {"fd.num", T::kInt, "Socket: the file descriptor (absent for a connection that ended outside a syscall)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const NetPayload* n = c.event.as<NetPayload>();
            if (!n || n->fd < 0) return {};
            return int64_t{n->fd};
          }});
  add(r, {"fd.cip", T::kString, "Socket: client address (the initiator)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return n.saddr.to_string(); });
          }});
  add(r, {"fd.sip", T::kString, "Socket: server address",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return n.daddr.to_string(); });
          }});
  add(r, {"fd.cport", T::kUInt, "Socket: client port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return uint64_t{n.sport}; });
          }});
  add(r, {"fd.sport", T::kUInt, "Socket: server port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return uint64_t{n.dport}; });
          }});
  add(r, {"fd.lip", T::kString, "Socket: local address",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return n.local_addr().to_string(); });
          }});
  add(r, {"fd.rip", T::kString, "Socket: remote address",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return n.remote_addr().to_string(); });
          }});
  add(r, {"fd.lport", T::kUInt, "Socket: local port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return uint64_t{n.local_port()}; });
          }});
  add(r, {"fd.rport", T::kUInt, "Socket: remote port",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return uint64_t{n.remote_port()}; });
          }});
  add(r, {"fd.l4proto", T::kString, "Socket: transport protocol (tcp, udp...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) { return proto_name(n.proto); });
          }});
  add(r, {"fd.sockfamily", T::kString, "Socket: address family (ip, ip6)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_net(c, [](const NetPayload& n) {
              return std::string(n.saddr.family == IpAddress::Family::kV6 ? "ip6" : "ip");
            });
          }});

  // io_uring_setup, raw_socket
  add(r, {"evt.arg.entries", T::kUInt, "io_uring_setup: submission queue entries asked for",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const IoUringSetupPayload* p = c.event.as<IoUringSetupPayload>();
            return p ? FieldValue(uint64_t{p->entries}) : FieldValue();
          }});
  add(r, {"evt.arg.setup_flags", T::kUInt, "io_uring_setup: IORING_SETUP_* flags",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const IoUringSetupPayload* p = c.event.as<IoUringSetupPayload>();
            return p ? FieldValue(uint64_t{p->flags}) : FieldValue();
          }});
  add(r, {"evt.arg.domain", T::kString, "raw_socket: address family (AF_PACKET, AF_INET, AF_INET6)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const RawSocketPayload* p = c.event.as<RawSocketPayload>();
            return p ? FieldValue(domain_name(p->domain)) : FieldValue();
          }});
  add(r, {"evt.arg.type", T::kString, "raw_socket: socket type (SOCK_RAW, SOCK_DGRAM)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const RawSocketPayload* p = c.event.as<RawSocketPayload>();
            return p ? FieldValue(socket_type_name(p->type)) : FieldValue();
          }});
  add(r, {"evt.arg.proto", T::kUInt, "raw_socket: protocol number (for AF_PACKET, the Ethernet type in network order)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const RawSocketPayload* p = c.event.as<RawSocketPayload>();
            return p ? FieldValue(uint64_t{p->protocol}) : FieldValue();
          }});
}

}  // namespace ztai
