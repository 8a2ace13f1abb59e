// Loads the real programs, makes real network calls on loopback (127.0.0.1 and ::1 only), and
// asserts every field of the connect, accept, bind, listen, sendto/sendmsg and tcp_close events,
// the outcome of non-blocking connects, and the io_uring_setup and raw_socket blind-spot events.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/fields/field_registry.h"
#include "bpf/abi/events.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/socket_address.h"

namespace ztai {
namespace {

using testing::EventCollector;
using testing::socket_address;

// The test process itself makes the calls, so the agent's self filter is off.
Result<std::unique_ptr<EventCollector>> start_collector() {
  LoaderSettings settings;
  settings.self_tgid = 0;
  return EventCollector::start(settings);
}

bool mine(const Event& e) { return e.hdr.proc.tgid == static_cast<uint32_t>(getpid()); }

// wait_for's pointer dies with the next poll: keep a copy.
std::optional<Event> wait_copy(EventCollector& c, const std::function<bool(const Event&)>& pred) {
  const Event* e = c.wait_for([&](const Event& x) { return mine(x) && pred(x); });
  return e ? std::optional<Event>(*e) : std::nullopt;
}

std::optional<Event> wait_net(EventCollector& c, EventType type, const std::function<bool(const NetPayload&)>& pred) {
  return wait_copy(c, [&](const Event& e) { return e.hdr.type == type && pred(*e.as<NetPayload>()); });
}

struct Endpoint {
  std::string ip;
  uint16_t port = 0;
};

Endpoint local_end(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf));
    return {buf, ntohs(s6->sin6_port)};
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof(buf));
  return {buf, ntohs(s4->sin_port)};
}

int bound_socket(int family, int type, const char* ip, uint16_t port = 0) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage ss = socket_address(family, ip, port, len);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  return fd;
}

// A port on 127.0.0.1 with no listener: bound, then released.
uint16_t closed_port() {
  int fd = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.1");
  uint16_t port = local_end(fd).port;
  close(fd);
  return port;
}

std::string field_string(const Event& e, const char* name) {
  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};
  EventContext ctx{e, nullptr, table, clock};
  auto list = extract_fields(builtin_fields(), ctx, {name});
  if (list.empty()) return "<absent>";
  const auto* s = std::get_if<std::string>(&list[0].second);
  return s ? *s : "<not a string>";
}

void full_tcp_exchange(int family, const char* ip) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  EventCollector& c = **collector;
  const uint8_t tcp = IPPROTO_TCP;

  int lfd = bound_socket(family, SOCK_STREAM, ip);
  ASSERT_GE(lfd, 0) << strerror(errno);
  ASSERT_EQ(listen(lfd, 8), 0);
  Endpoint server = local_end(lfd);

  int cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(family, ip, server.port, len);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&to), len), 0) << strerror(errno);
  Endpoint client = local_end(cfd);
  int afd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(afd, 0);

  // 1000 bytes up, 300 down, everything read before the client closes first.
  std::string up(1000, 'u'), down(300, 'd');
  char buf[2000];
  ASSERT_EQ(write(cfd, up.data(), up.size()), static_cast<ssize_t>(up.size()));
  size_t got = 0;
  while (got < up.size()) got += static_cast<size_t>(read(afd, buf, sizeof(buf)));
  ASSERT_EQ(write(afd, down.data(), down.size()), static_cast<ssize_t>(down.size()));
  got = 0;
  while (got < down.size()) got += static_cast<size_t>(read(cfd, buf, sizeof(buf)));
  close(cfd);
  ASSERT_EQ(read(afd, buf, sizeof(buf)), 0);  // the client's FIN
  close(afd);

  auto bind_ev = wait_net(c, EventType::kBind, [&](const NetPayload& n) { return n.fd == lfd; });
  ASSERT_TRUE(bind_ev) << "no bind event";
  const NetPayload* b = bind_ev->as<NetPayload>();
  EXPECT_EQ(b->res, 0);
  EXPECT_EQ(b->proto, tcp);
  EXPECT_EQ(b->saddr.to_string(), server.ip);
  EXPECT_EQ(b->sport, server.port) << "port 0 is reported as the port the kernel chose";
  EXPECT_EQ(field_string(*bind_ev, "evt.type"), "bind");

  auto listen_ev = wait_net(c, EventType::kListen, [&](const NetPayload& n) { return n.fd == lfd; });
  ASSERT_TRUE(listen_ev) << "no listen event";
  EXPECT_EQ(listen_ev->as<NetPayload>()->res, 0);
  EXPECT_EQ(listen_ev->as<NetPayload>()->saddr.to_string(), server.ip);
  EXPECT_EQ(listen_ev->as<NetPayload>()->sport, server.port);
  EXPECT_EQ(listen_ev->as<NetPayload>()->proto, tcp);

  auto conn = wait_net(c, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn) << "no connect event";
  const NetPayload* n = conn->as<NetPayload>();
  EXPECT_EQ(n->res, 0);
  EXPECT_FALSE(n->nonblocking);
  EXPECT_EQ(n->proto, tcp);
  EXPECT_EQ(n->saddr.to_string(), client.ip);
  EXPECT_EQ(n->sport, client.port);
  EXPECT_EQ(n->daddr.to_string(), server.ip);
  EXPECT_EQ(n->dport, server.port);
  EXPECT_EQ(conn->hdr.tid, static_cast<uint32_t>(gettid()));
  EXPECT_EQ(field_string(*conn, "evt.res"), "SUCCESS");

  auto acc = wait_net(c, EventType::kAccept, [&](const NetPayload& x) { return x.fd == afd; });
  ASSERT_TRUE(acc) << "no accept event";
  const NetPayload* a = acc->as<NetPayload>();
  EXPECT_EQ(a->res, afd);
  EXPECT_EQ(a->proto, tcp);
  EXPECT_EQ(a->saddr.to_string(), client.ip) << "the peer initiated: it is the source";
  EXPECT_EQ(a->sport, client.port);
  EXPECT_EQ(a->daddr.to_string(), server.ip);
  EXPECT_EQ(a->dport, server.port);

  auto out_close = wait_net(c, EventType::kTcpClose, [&](const NetPayload& x) { return !x.inbound && x.sport == client.port; });
  ASSERT_TRUE(out_close) << "no tcp_close for the connecting side";
  EXPECT_EQ(out_close->as<NetPayload>()->bytes_out, up.size());
  EXPECT_EQ(out_close->as<NetPayload>()->bytes_in, down.size());
  EXPECT_EQ(out_close->as<NetPayload>()->daddr.to_string(), server.ip);
  EXPECT_EQ(out_close->as<NetPayload>()->dport, server.port);
  EXPECT_EQ(out_close->hdr.proc, conn->hdr.proc) << "the close is the connecting process's";

  auto in_close = wait_net(c, EventType::kTcpClose, [&](const NetPayload& x) { return x.inbound && x.sport == client.port; });
  ASSERT_TRUE(in_close) << "no tcp_close for the accepted side";
  EXPECT_EQ(in_close->as<NetPayload>()->bytes_out, down.size());
  EXPECT_EQ(in_close->as<NetPayload>()->bytes_in, up.size());
  EXPECT_EQ(in_close->as<NetPayload>()->dport, server.port);
  close(lfd);

  EXPECT_EQ(c.decode_errors(), 0u);
  auto counters = c.programs().read_counters();
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->control_drops, 0u);
  EXPECT_EQ(counters->net_untracked, 0u);
}

TEST(NetSensor, TcpExchangeIpv4) { full_tcp_exchange(AF_INET, "127.0.0.1"); }

TEST(NetSensor, TcpExchangeIpv6) { full_tcp_exchange(AF_INET6, "::1"); }

TEST(NetSensor, DualStackSocketReachingIpv4IsReportedAsIpv4) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  int lfd = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_EQ(listen(lfd, 8), 0);
  uint16_t port = local_end(lfd).port;
  int cfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET6, "::ffff:127.0.0.1", port, len);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&to), len), 0) << strerror(errno);
  auto conn = wait_net(**collector, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn) << "no connect event";
  EXPECT_EQ(conn->as<NetPayload>()->daddr.to_string(), "127.0.0.1");
  EXPECT_EQ(conn->as<NetPayload>()->saddr.to_string(), "127.0.0.1");
  EXPECT_EQ(conn->as<NetPayload>()->dport, port);
  close(cfd);
  close(lfd);
}

TEST(NetSensor, NonBlockingConnectThatSucceeds) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  int lfd = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_EQ(listen(lfd, 8), 0);
  Endpoint server = local_end(lfd);
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", server.port, len);
  int r = connect(cfd, reinterpret_cast<sockaddr*>(&to), len);
  ASSERT_TRUE(r == -1 && errno == EINPROGRESS) << "expected EINPROGRESS, got " << r << " " << strerror(errno);
  Endpoint client = local_end(cfd);

  auto conn = wait_net(**collector, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn) << "no connect event";
  const NetPayload* n = conn->as<NetPayload>();
  EXPECT_EQ(n->res, 0) << "the handshake's outcome, not EINPROGRESS";
  EXPECT_TRUE(n->nonblocking);
  EXPECT_EQ(n->sport, client.port);
  EXPECT_EQ(n->dport, server.port);
  EXPECT_EQ(n->daddr.to_string(), "127.0.0.1");
  EXPECT_EQ(field_string(*conn, "evt.res"), "SUCCESS");
  close(cfd);
  close(lfd);
}

// A listener with a full accept queue drops the SYN, so the handshake is still pending when
// connect() returns; it completes on a SYN retransmission once the queue has room, in softirq
// context, and the record must still name the connecting thread.
TEST(NetSensor, NonBlockingConnectCompletedAfterTheCallReturned) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  int lfd = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_EQ(listen(lfd, 0), 0);
  Endpoint server = local_end(lfd);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", server.port, len);
  int first = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(first, reinterpret_cast<sockaddr*>(&to), len), 0);  // fills the queue
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int r = connect(cfd, reinterpret_cast<sockaddr*>(&to), len);
  ASSERT_TRUE(r == -1 && errno == EINPROGRESS) << strerror(errno);
  r = connect(cfd, reinterpret_cast<sockaddr*>(&to), len);
  ASSERT_TRUE(r == -1 && errno == EALREADY) << "the handshake should still be pending: " << strerror(errno);
  int afd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);  // room for the retransmitted SYN
  ASSERT_GE(afd, 0);

  auto conn = wait_net(**collector, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn) << "no connect event once the handshake completed";
  const NetPayload* n = conn->as<NetPayload>();
  EXPECT_EQ(n->res, 0);
  EXPECT_TRUE(n->nonblocking);
  EXPECT_EQ(n->dport, server.port);
  EXPECT_EQ(n->sport, local_end(cfd).port);
  EXPECT_EQ(conn->hdr.tid, static_cast<uint32_t>(gettid())) << "the connecting thread, not the softirq's";
  (**collector).drain();
  size_t records = 0;
  for (const Event& e : (**collector).events()) {
    if (mine(e) && e.hdr.type == EventType::kConnect && e.as<NetPayload>()->fd == cfd) ++records;
  }
  EXPECT_EQ(records, 1u) << "the EALREADY poll is not a second attempt";
  for (int fd : {cfd, afd, first, lfd}) close(fd);
}

TEST(NetSensor, NonBlockingConnectThatIsRefused) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  uint16_t port = closed_port();
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", port, len);
  int r = connect(cfd, reinterpret_cast<sockaddr*>(&to), len);
  ASSERT_TRUE(r == -1 && errno == EINPROGRESS) << "expected EINPROGRESS, got " << r << " " << strerror(errno);

  auto conn = wait_net(**collector, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn) << "no connect event";
  const NetPayload* n = conn->as<NetPayload>();
  EXPECT_EQ(n->res, -ECONNREFUSED);
  EXPECT_TRUE(n->nonblocking);
  EXPECT_EQ(n->proto, IPPROTO_TCP);
  EXPECT_EQ(n->daddr.to_string(), "127.0.0.1");
  EXPECT_EQ(n->dport, port);
  EXPECT_EQ(n->saddr.to_string(), "127.0.0.1");
  EXPECT_NE(n->sport, 0) << "the source port the SYN went out from";
  EXPECT_EQ(field_string(*conn, "evt.res"), "ECONNREFUSED");
  close(cfd);
}

TEST(NetSensor, BlockingConnectThatIsRefused) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  uint16_t port = closed_port();
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", port, len);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&to), len), -1);
  ASSERT_EQ(errno, ECONNREFUSED);
  auto conn = wait_net(**collector, EventType::kConnect, [&](const NetPayload& n) { return n.fd == cfd; });
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->as<NetPayload>()->res, -ECONNREFUSED);
  EXPECT_FALSE(conn->as<NetPayload>()->nonblocking);
  EXPECT_EQ(conn->as<NetPayload>()->dport, port);
  EXPECT_NE(conn->as<NetPayload>()->sport, 0);
  close(cfd);
}

TEST(NetSensor, UdpSendtoAndSendmsgDestinations) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  int rfd = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1");
  ASSERT_GE(rfd, 0);
  Endpoint receiver = local_end(rfd);
  int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", receiver.port, len);
  ASSERT_EQ(sendto(sfd, "hello", 5, 0, reinterpret_cast<sockaddr*>(&to), len), 5);
  Endpoint sender = local_end(sfd);

  char payload[] = "sendmsg!";
  iovec iov{payload, 8};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ASSERT_EQ(sendmsg(sfd, &msg, 0), 8);
  // Without a destination (a connected socket) nothing is reported: connect already was.
  ASSERT_EQ(connect(sfd, reinterpret_cast<sockaddr*>(&to), len), 0);
  ASSERT_EQ(send(sfd, "x", 1, 0), 1);

  auto st = wait_net(**collector, EventType::kSendto, [&](const NetPayload& n) { return n.fd == sfd; });
  ASSERT_TRUE(st) << "no sendto event";
  const NetPayload* n = st->as<NetPayload>();
  EXPECT_EQ(n->res, 5);
  EXPECT_EQ(n->proto, IPPROTO_UDP);
  EXPECT_EQ(n->daddr.to_string(), "127.0.0.1");
  EXPECT_EQ(n->dport, receiver.port);
  EXPECT_EQ(n->saddr.to_string(), "0.0.0.0") << "an unconnected UDP socket is bound to any address";
  EXPECT_EQ(n->sport, sender.port);
  EXPECT_EQ(field_string(*st, "net.proto"), "udp");

  auto sm = wait_net(**collector, EventType::kSendmsg, [&](const NetPayload& x) { return x.fd == sfd; });
  ASSERT_TRUE(sm) << "no sendmsg event";
  EXPECT_EQ(sm->as<NetPayload>()->res, 8);
  EXPECT_EQ(sm->as<NetPayload>()->dport, receiver.port);

  auto udp_connect = wait_net(**collector, EventType::kConnect, [&](const NetPayload& x) { return x.fd == sfd; });
  ASSERT_TRUE(udp_connect) << "no connect event for the UDP socket";
  EXPECT_EQ(udp_connect->as<NetPayload>()->res, 0);
  EXPECT_EQ(udp_connect->as<NetPayload>()->proto, IPPROTO_UDP);
  EXPECT_EQ(udp_connect->as<NetPayload>()->saddr.to_string(), "127.0.0.1");
  (**collector).drain();
  size_t sendtos = 0;
  for (const Event& e : (**collector).events()) {
    if (mine(e) && e.hdr.type == EventType::kSendto && e.as<NetPayload>()->fd == sfd) ++sendtos;
  }
  EXPECT_EQ(sendtos, 1u) << "send() on the connected socket is not a sendto event";
  close(sfd);
  close(rfd);
}

TEST(NetSensor, TypesNoRuleWantsAreDroppedInTheKernelAndCounted) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  EventCollector& c = **collector;
  ASSERT_TRUE(c.programs().skip_net_events(ZTAI_NET_SKIP_BIT(ZTAI_EVENT_NET_SENDTO)));
  auto before = c.programs().read_counters();
  ASSERT_TRUE(before);
  int rfd = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1");
  socklen_t len;
  sockaddr_storage to = socket_address(AF_INET, "127.0.0.1", local_end(rfd).port, len);
  int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(sendto(sfd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), len), 1);
  // A connect afterwards is still reported: once it is in, the sendto would have been too.
  ASSERT_EQ(connect(sfd, reinterpret_cast<sockaddr*>(&to), len), 0);
  auto conn = wait_net(c, EventType::kConnect, [&](const NetPayload& n) { return n.fd == sfd; });
  ASSERT_TRUE(conn) << "no connect event";
  c.drain();
  for (const Event& e : c.events()) {
    EXPECT_FALSE(mine(e) && e.hdr.type == EventType::kSendto) << "a dropped type reached userspace";
  }
  auto after = c.programs().read_counters();
  ASSERT_TRUE(after);
  EXPECT_GE(after->net_filtered, before->net_filtered + 1);
  close(sfd);
  close(rfd);
}

TEST(NetSensor, IoUringSetupIsVisible) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  io_uring_params params{};
  params.flags = IORING_SETUP_CLAMP;
  long r = syscall(__NR_io_uring_setup, 4, &params);
  long expected = r >= 0 ? r : -errno;  // the event reports a refusal (io_uring disabled) the same way
  auto ev = wait_copy(**collector, [](const Event& e) { return e.hdr.type == EventType::kIoUringSetup; });
  ASSERT_TRUE(ev) << "no io_uring_setup event";
  const IoUringSetupPayload* p = ev->as<IoUringSetupPayload>();
  EXPECT_EQ(p->res, expected);
  EXPECT_EQ(p->entries, 4u);
  EXPECT_EQ(p->flags, static_cast<uint32_t>(IORING_SETUP_CLAMP));
  EXPECT_EQ(field_string(*ev, "evt.type"), "io_uring_setup");
  if (r >= 0) close(static_cast<int>(r));
}

TEST(NetSensor, RawAndPacketSocketsAreVisible) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  long raw_expected = raw >= 0 ? raw : -errno;
  int packet = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
  long packet_expected = packet >= 0 ? packet : -errno;
  int plain = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  auto r = wait_copy(**collector, [](const Event& e) {
    return e.hdr.type == EventType::kRawSocket && e.as<RawSocketPayload>()->domain == AF_INET;
  });
  ASSERT_TRUE(r) << "no raw_socket event for SOCK_RAW";
  EXPECT_EQ(r->as<RawSocketPayload>()->res, raw_expected);
  EXPECT_EQ(r->as<RawSocketPayload>()->type, static_cast<uint32_t>(SOCK_RAW)) << "SOCK_CLOEXEC is masked off";
  EXPECT_EQ(r->as<RawSocketPayload>()->protocol, static_cast<uint32_t>(IPPROTO_ICMP));
  EXPECT_EQ(field_string(*r, "evt.arg.type"), "SOCK_RAW");

  auto p = wait_copy(**collector, [](const Event& e) {
    return e.hdr.type == EventType::kRawSocket && e.as<RawSocketPayload>()->domain == AF_PACKET;
  });
  ASSERT_TRUE(p) << "no raw_socket event for AF_PACKET";
  EXPECT_EQ(p->as<RawSocketPayload>()->res, packet_expected);
  EXPECT_EQ(p->as<RawSocketPayload>()->type, static_cast<uint32_t>(SOCK_DGRAM));
  EXPECT_EQ(p->as<RawSocketPayload>()->protocol, htons(ETH_P_IP));
  EXPECT_EQ(field_string(*p, "evt.arg.domain"), "AF_PACKET");

  (**collector).drain();
  size_t raw_events = 0;
  for (const Event& e : (**collector).events()) {
    if (mine(e) && e.hdr.type == EventType::kRawSocket) ++raw_events;
  }
  EXPECT_EQ(raw_events, 2u) << "an ordinary TCP socket is not reported";
  for (int fd : {raw, packet, plain}) {
    if (fd >= 0) close(fd);
  }
}

}  // namespace
}  // namespace ztai
