// net.*, socket fd.*, dns and blind-spot fields on synthetic events, including net.dns.names
// from a DNS answer learnt earlier.
#include "agent/fields/net_fields.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ztai {
namespace {

class NetFieldsTest : public ::testing::Test {
 protected:
  FieldValue get(const Event& e, const std::string& name) {
    EventContext ctx{.event = e, .proc = nullptr, .processes = table, .clock = clock, .dns_names = &names};
    auto list = extract_fields(builtin_fields(), ctx, {name});
    return list.empty() ? FieldValue() : list[0].second;
  }

  static Event net_event(EventType type, NetPayload p) {
    return Event{EventHeader{type, 5'000'000'000, 11, 0, ProcKey{11, 1}, 7}, std::move(p)};
  }

  static NetPayload connect_payload() {
    NetPayload p;
    p.res = -ECONNREFUSED;
    p.fd = 4;
    p.proto = IPPROTO_TCP;
    p.saddr = *IpAddress::parse("127.0.0.1");
    p.daddr = *IpAddress::parse("127.0.0.7");
    p.sport = 41000;
    p.dport = 9;
    p.nonblocking = true;
    return p;
  }

  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};
  dns::NameTable names;
};

TEST_F(NetFieldsTest, ConnectFields) {
  Event e = net_event(EventType::kConnect, connect_payload());
  EXPECT_EQ(get(e, "evt.type"), FieldValue(std::string("connect")));
  EXPECT_EQ(get(e, "evt.res"), FieldValue(std::string("ECONNREFUSED")));
  EXPECT_EQ(get(e, "net.sip"), FieldValue(std::string("127.0.0.1")));
  EXPECT_EQ(get(e, "net.sport"), FieldValue(uint64_t{41000}));
  EXPECT_EQ(get(e, "net.dip"), FieldValue(std::string("127.0.0.7")));
  EXPECT_EQ(get(e, "net.dport"), FieldValue(uint64_t{9}));
  EXPECT_EQ(get(e, "net.proto"), FieldValue(std::string("tcp")));
  EXPECT_EQ(get(e, "net.nonblocking"), FieldValue(true));
  EXPECT_EQ(get(e, "net.bytes_out"), FieldValue());  // only tcp_close has volumes
  EXPECT_EQ(get(e, "fd.num"), FieldValue(int64_t{4}));
  EXPECT_EQ(get(e, "fd.cip"), FieldValue(std::string("127.0.0.1")));
  EXPECT_EQ(get(e, "fd.sip"), FieldValue(std::string("127.0.0.7")));
  EXPECT_EQ(get(e, "fd.lport"), FieldValue(uint64_t{41000}));
  EXPECT_EQ(get(e, "fd.rport"), FieldValue(uint64_t{9}));
  EXPECT_EQ(get(e, "fd.l4proto"), FieldValue(std::string("tcp")));
  EXPECT_EQ(get(e, "fd.sockfamily"), FieldValue(std::string("ip")));
  EXPECT_EQ(get(e, "net.dns.names"), FieldValue(std::vector<std::string>{}));
  EXPECT_EQ(get(e, "net.dns.query"), FieldValue());
}

TEST_F(NetFieldsTest, InboundCloseCarriesVolumesAndLocalRemote) {
  NetPayload p = connect_payload();
  p.res = 0;
  p.inbound = true;
  p.bytes_out = 1500;
  p.bytes_in = 42;
  p.fd = -1;
  Event e = net_event(EventType::kTcpClose, p);
  EXPECT_EQ(get(e, "evt.type"), FieldValue(std::string("tcp_close")));
  EXPECT_EQ(get(e, "net.bytes_out"), FieldValue(uint64_t{1500}));
  EXPECT_EQ(get(e, "net.bytes_in"), FieldValue(uint64_t{42}));
  EXPECT_EQ(get(e, "fd.lip"), FieldValue(std::string("127.0.0.7")));
  EXPECT_EQ(get(e, "fd.rip"), FieldValue(std::string("127.0.0.1")));
  EXPECT_EQ(get(e, "fd.num"), FieldValue());
  EXPECT_EQ(get(e, "net.nonblocking"), FieldValue());
}

TEST_F(NetFieldsTest, DnsAnswerFieldsAndNamesOnALaterConnect) {
  dns::Message m;
  m.is_response = true;
  m.questions.push_back({"api.model.test", dns::kTypeA, 1});
  dns::ResourceRecord rr;
  rr.name = "api.model.test";
  rr.type = dns::kTypeA;
  rr.ttl = 300;
  rr.address = IpAddress::parse("127.0.0.7");
  m.answers.push_back(rr);
  DnsPayload d;
  d.proto = IPPROTO_UDP;
  d.client = *IpAddress::parse("127.0.0.1");
  d.server = *IpAddress::parse("127.0.0.53");
  d.client_port = 5000;
  d.server_port = 53;
  d.message = m;
  Event dns_event{EventHeader{EventType::kDns, 4'000'000'000, 11, 0, ProcKey{11, 1}, 7}, d};
  EXPECT_EQ(get(dns_event, "evt.type"), FieldValue(std::string("dns")));
  EXPECT_EQ(get(dns_event, "net.dns.query"), FieldValue(std::string("api.model.test")));
  EXPECT_EQ(get(dns_event, "net.dns.qtype"), FieldValue(std::string("A")));
  EXPECT_EQ(get(dns_event, "net.dns.rcode"), FieldValue(std::string("NOERROR")));
  EXPECT_EQ(get(dns_event, "net.dns.answers"), FieldValue(std::vector<std::string>{"127.0.0.7"}));
  EXPECT_EQ(get(dns_event, "net.dip"), FieldValue(std::string("127.0.0.53")));
  EXPECT_EQ(get(dns_event, "net.dport"), FieldValue(uint64_t{53}));
  EXPECT_EQ(get(dns_event, "net.proto"), FieldValue(std::string("udp")));
  EXPECT_EQ(get(dns_event, "net.dns.error"), FieldValue());

  names.learn(m, dns_event.hdr.boot_ns);
  Event e = net_event(EventType::kConnect, connect_payload());
  EXPECT_EQ(get(e, "net.dns.names"), FieldValue(std::vector<std::string>{"api.model.test"}));
}

TEST_F(NetFieldsTest, BlindSpotFields) {
  Event io{EventHeader{EventType::kIoUringSetup, 1, 11, 0, ProcKey{11, 1}, 7}, IoUringSetupPayload{5, 8, 2}};
  EXPECT_EQ(get(io, "evt.type"), FieldValue(std::string("io_uring_setup")));
  EXPECT_EQ(get(io, "evt.res"), FieldValue(std::string("SUCCESS")));
  EXPECT_EQ(get(io, "evt.arg.entries"), FieldValue(uint64_t{8}));
  EXPECT_EQ(get(io, "evt.arg.setup_flags"), FieldValue(uint64_t{2}));
  Event raw{EventHeader{EventType::kRawSocket, 1, 11, 0, ProcKey{11, 1}, 7},
            RawSocketPayload{-EPERM, AF_PACKET, SOCK_RAW, 768}};
  EXPECT_EQ(get(raw, "evt.type"), FieldValue(std::string("raw_socket")));
  EXPECT_EQ(get(raw, "evt.res"), FieldValue(std::string("EPERM")));
  EXPECT_EQ(get(raw, "evt.arg.domain"), FieldValue(std::string("AF_PACKET")));
  EXPECT_EQ(get(raw, "evt.arg.type"), FieldValue(std::string("SOCK_RAW")));
  EXPECT_EQ(get(raw, "evt.arg.proto"), FieldValue(uint64_t{768}));
  EXPECT_EQ(get(raw, "net.sip"), FieldValue());
}

}  // namespace
}  // namespace ztai
