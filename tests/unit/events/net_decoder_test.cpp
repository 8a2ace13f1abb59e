// Network, DNS and blind-spot records -> typed events, and the checks on malformed records.
#include "agent/events/net_decoder.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "agent/events/decoder.h"
#include "bpf/abi/events.h"

namespace ztai {
namespace {

ztai_event_header header(uint16_t type, uint32_t size) {
  ztai_event_header h{};
  h.type = type;
  h.size = size;
  h.ktime_ns = 5000;
  h.tid = 11;
  h.proc.tgid = 10;
  h.proc.start_ticks = 3;
  h.cgroup_id = 7;
  return h;
}

template <typename T>
std::vector<std::byte> bytes_of(const T& v) {
  std::vector<std::byte> buf(sizeof(v));
  std::memcpy(buf.data(), &v, sizeof(v));
  return buf;
}

ztai_net_event net_record(uint16_t type) {
  ztai_net_event ev{};
  ev.hdr = header(type, sizeof(ev));
  ev.res = -111;
  ev.fd = 5;
  ev.family = AF_INET;
  ev.proto = IPPROTO_TCP;
  ev.flags = ZTAI_NET_NONBLOCKING;
  ev.sport = 40000;
  ev.dport = 8080;
  const uint8_t src[] = {127, 0, 0, 1}, dst[] = {127, 0, 0, 2};
  std::memcpy(ev.saddr, src, 4);
  std::memcpy(ev.daddr, dst, 4);
  return ev;
}

TEST(NetDecoder, DecodesAConnectWithEveryField) {
  auto ev = decode_record(bytes_of(net_record(ZTAI_EVENT_NET_CONNECT)));
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->hdr.type, EventType::kConnect);
  EXPECT_EQ(event_type_name(ev->hdr.type), "connect");
  const NetPayload* p = ev->as<NetPayload>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->res, -111);
  EXPECT_EQ(p->fd, 5);
  EXPECT_EQ(p->proto, IPPROTO_TCP);
  EXPECT_EQ(p->saddr.to_string(), "127.0.0.1");
  EXPECT_EQ(p->daddr.to_string(), "127.0.0.2");
  EXPECT_EQ(p->sport, 40000);
  EXPECT_EQ(p->dport, 8080);
  EXPECT_TRUE(p->nonblocking);
  EXPECT_FALSE(p->inbound);
}

TEST(NetDecoder, EveryNetworkTypeHasItsName) {
  const std::pair<uint16_t, const char*> kTypes[] = {
      {ZTAI_EVENT_NET_CONNECT, "connect"}, {ZTAI_EVENT_NET_ACCEPT, "accept"}, {ZTAI_EVENT_NET_BIND, "bind"},
      {ZTAI_EVENT_NET_LISTEN, "listen"},   {ZTAI_EVENT_NET_SENDTO, "sendto"}, {ZTAI_EVENT_NET_SENDMSG, "sendmsg"},
      {ZTAI_EVENT_NET_CLOSE, "tcp_close"}};
  for (auto [type, name] : kTypes) {
    auto ev = decode_record(bytes_of(net_record(type)));
    ASSERT_TRUE(ev) << name;
    EXPECT_EQ(event_type_name(ev->hdr.type), name);
  }
}

TEST(NetDecoder, Ipv6AndInboundClose) {
  ztai_net_event raw = net_record(ZTAI_EVENT_NET_CLOSE);
  raw.family = AF_INET6;
  raw.flags = ZTAI_NET_INBOUND;
  std::memset(raw.saddr, 0, 16);
  std::memset(raw.daddr, 0, 16);
  raw.saddr[15] = 1;
  raw.daddr[15] = 1;
  raw.bytes_out = 100;
  raw.bytes_in = 200;
  auto ev = decode_record(bytes_of(raw));
  ASSERT_TRUE(ev);
  const NetPayload* p = ev->as<NetPayload>();
  EXPECT_EQ(p->saddr.to_string(), "::1");
  EXPECT_TRUE(p->inbound);
  EXPECT_EQ(p->local_port(), 8080);
  EXPECT_EQ(p->remote_port(), 40000);
  EXPECT_EQ(p->bytes_out, 100u);
  EXPECT_EQ(p->bytes_in, 200u);
}

TEST(NetDecoder, Ipv4MappedAddressesAreIpv4) {
  ztai_net_event raw = net_record(ZTAI_EVENT_NET_CONNECT);
  raw.family = AF_INET6;
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  std::memcpy(raw.saddr, mapped, 16);
  std::memcpy(raw.daddr, mapped, 16);
  raw.daddr[15] = 9;
  auto ev = decode_record(bytes_of(raw));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->as<NetPayload>()->saddr.to_string(), "127.0.0.1");
  EXPECT_EQ(ev->as<NetPayload>()->daddr.to_string(), "127.0.0.9");
}

TEST(NetDecoder, RejectsShortRecordsAndUnknownFamilies) {
  auto rec = bytes_of(net_record(ZTAI_EVENT_NET_CONNECT));
  rec.resize(rec.size() - 1);
  ztai_event_header h = header(ZTAI_EVENT_NET_CONNECT, static_cast<uint32_t>(rec.size()));
  std::memcpy(rec.data(), &h, sizeof(h));
  EXPECT_FALSE(decode_record(rec));

  ztai_net_event unix_family = net_record(ZTAI_EVENT_NET_CONNECT);
  unix_family.family = AF_UNIX;
  auto ev = decode_record(bytes_of(unix_family));
  ASSERT_FALSE(ev);
  EXPECT_NE(ev.error().message().find("family"), std::string::npos);
}

std::vector<std::byte> dns_record(const std::vector<uint8_t>& msg, uint8_t proto, uint32_t declared_len) {
  ztai_dns_event ev{};
  std::vector<std::byte> buf(sizeof(ev) + msg.size());
  ev.hdr = header(ZTAI_EVENT_DNS, static_cast<uint32_t>(buf.size()));
  ev.family = AF_INET;
  ev.proto = proto;
  ev.sport = 5353;
  ev.dport = 53;
  const uint8_t client[] = {127, 0, 0, 1}, server[] = {127, 0, 0, 53};
  std::memcpy(ev.saddr, client, 4);
  std::memcpy(ev.daddr, server, 4);
  ev.msg_len = static_cast<uint32_t>(msg.size());
  ev.data_len = declared_len;
  std::memcpy(buf.data(), &ev, sizeof(ev));
  std::memcpy(buf.data() + sizeof(ev), msg.data(), msg.size());
  return buf;
}

// "a.test A" answered with 192.0.2.1.
std::vector<uint8_t> answer_bytes() {
  return {0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // header
          0x01, 'a',  0x04, 't',  'e',  's',  't',  0x00, 0x00, 0x01, 0x00, 0x01,  // question
          0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,  // answer
          192,  0,    2,    1};
}

TEST(DnsDecoder, UdpAnswerIsParsed) {
  auto msg = answer_bytes();
  auto ev = decode_record(dns_record(msg, IPPROTO_UDP, static_cast<uint32_t>(msg.size())));
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(event_type_name(ev->hdr.type), "dns");
  const DnsPayload* p = ev->as<DnsPayload>();
  ASSERT_TRUE(p && p->message) << (p ? p->parse_error : "no payload");
  EXPECT_EQ(p->client.to_string(), "127.0.0.1");
  EXPECT_EQ(p->server.to_string(), "127.0.0.53");
  EXPECT_EQ(p->server_port, 53);
  EXPECT_EQ(p->message->questions.at(0).name, "a.test");
  EXPECT_EQ(p->message->answers.at(0).value(), "192.0.2.1");
}

TEST(DnsDecoder, QueriesHaveTheirOwnType) {
  auto msg = answer_bytes();
  auto rec = dns_record(msg, IPPROTO_UDP, static_cast<uint32_t>(msg.size()));
  ztai_event_header h = header(ZTAI_EVENT_DNS_QUERY, static_cast<uint32_t>(rec.size()));
  std::memcpy(rec.data(), &h, sizeof(h));
  auto ev = decode_record(rec);
  ASSERT_TRUE(ev);
  EXPECT_EQ(event_type_name(ev->hdr.type), "dns_query");
  EXPECT_TRUE(ev->as<DnsPayload>()->message);
}

TEST(DnsDecoder, GarbageIsAnEventWithAParseError) {
  std::vector<uint8_t> junk = {0x00, 0x01, 0x81};
  auto ev = decode_record(dns_record(junk, IPPROTO_UDP, 3));
  ASSERT_TRUE(ev);
  EXPECT_FALSE(ev->as<DnsPayload>()->message);
  EXPECT_FALSE(ev->as<DnsPayload>()->parse_error.empty());
}

TEST(DnsDecoder, DataLengthMustMatchTheRecord) {
  auto msg = answer_bytes();
  EXPECT_FALSE(decode_record(dns_record(msg, IPPROTO_UDP, static_cast<uint32_t>(msg.size() + 1))));
  EXPECT_FALSE(decode_record(dns_record(msg, IPPROTO_UDP, 0)));
}

TEST(BlindSpotDecoder, IoUringSetupAndRawSocket) {
  ztai_io_uring_setup_event io{};
  io.hdr = header(ZTAI_EVENT_IO_URING_SETUP, sizeof(io));
  io.res = 4;
  io.entries = 8;
  io.flags = 2;
  auto ev = decode_record(bytes_of(io));
  ASSERT_TRUE(ev);
  EXPECT_EQ(event_type_name(ev->hdr.type), "io_uring_setup");
  EXPECT_EQ(ev->as<IoUringSetupPayload>()->entries, 8u);
  EXPECT_EQ(ev->as<IoUringSetupPayload>()->flags, 2u);
  EXPECT_EQ(ev->as<IoUringSetupPayload>()->res, 4);

  ztai_raw_socket_event raw{};
  raw.hdr = header(ZTAI_EVENT_RAW_SOCKET, sizeof(raw));
  raw.res = -1;
  raw.domain = AF_PACKET;
  raw.type = SOCK_RAW;
  raw.protocol = 768;
  auto rs = decode_record(bytes_of(raw));
  ASSERT_TRUE(rs);
  EXPECT_EQ(event_type_name(rs->hdr.type), "raw_socket");
  EXPECT_EQ(rs->as<RawSocketPayload>()->domain, static_cast<uint32_t>(AF_PACKET));
  EXPECT_EQ(rs->as<RawSocketPayload>()->protocol, 768u);
}

}  // namespace
}  // namespace ztai
