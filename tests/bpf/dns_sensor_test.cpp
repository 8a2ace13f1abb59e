// DNS answers seen in the kernel: the test runs its own UDP resolver on 127.0.0.77:53 and on
// [::1]:53, asks it, and asserts the dns event and that a later connect to the answered
// address carries net.dns.names. No other resolver is contacted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "agent/fields/field_registry.h"
#include "agent/protocols/dns/dns_names.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/socket_address.h"

namespace ztai {
namespace {

using testing::EventCollector;
using testing::socket_address;
using Bytes = std::vector<uint8_t>;

constexpr const char* kResolverV4 = "127.0.0.77";
constexpr const char* kAnswerV4 = "127.0.0.88";  // what model.ztai.test resolves to

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

Bytes query(uint16_t id, const std::string& name, uint16_t type) {
  Bytes b;
  put16(b, id);
  put16(b, 0x0100);  // recursion desired
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<ptrdiff_t>(start), name.begin() + static_cast<ptrdiff_t>(dot));
    start = dot + 1;
  }
  b.push_back(0);
  put16(b, type);
  put16(b, 1);
  return b;
}

// The test resolver: answers A with kAnswerV4 and AAAA with ::1, TTL 120; any other name NXDOMAIN.
Bytes answer(const Bytes& q) {
  Bytes r(q);
  if (r.size() < 12) return {};
  r[2] = 0x81;
  r[3] = 0x80;
  size_t p = 12;
  std::string name;
  while (p < q.size() && q[p] != 0) {
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < q[p]; ++i) name += static_cast<char>(std::tolower(q[p + 1 + i]));  // names are case-blind
    p += 1 + q[p];
  }
  if (p + 5 > q.size()) return {};
  uint16_t type = static_cast<uint16_t>(q[p + 1] << 8 | q[p + 2]);
  if (name != "model.ztai.test") {
    r[3] = 0x83;  // NXDOMAIN
    return r;
  }
  r[7] = 1;  // ancount
  r.push_back(0xc0);
  r.push_back(12);
  put16(r, type);
  put16(r, 1);
  put16(r, 0);
  put16(r, 120);
  if (type == 28) {
    put16(r, 16);
    in6_addr a = in6addr_loopback;
    r.insert(r.end(), a.s6_addr, a.s6_addr + 16);
  } else {
    put16(r, 4);
    in_addr a;
    inet_pton(AF_INET, kAnswerV4, &a);
    auto* bytes = reinterpret_cast<uint8_t*>(&a);
    r.insert(r.end(), bytes, bytes + 4);
  }
  return r;
}

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// A UDP resolver answering one query per call of serve_one(), in a thread.
class UdpResolver {
 public:
  UdpResolver(int family, const char* ip) {
    fd_ = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len;
    sockaddr_storage a = socket_address(family, ip, 53, len);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0;
    error_ = ok_ ? "" : strerror(errno);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~UdpResolver() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  void serve() {
    uint8_t buf[512];
    while (!stop_) {
      sockaddr_storage from{};
      socklen_t flen = sizeof(from);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n <= 0) return;
      Bytes r = answer(Bytes(buf, buf + n));
      sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    }
  }
  int fd_ = -1;
  bool ok_ = false;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool mine(const Event& e) { return e.hdr.proc.tgid == static_cast<uint32_t>(getpid()); }

std::optional<Event> wait_dns(EventCollector& c, const std::function<bool(const DnsPayload&)>& pred) {
  const Event* e = c.wait_for([&](const Event& x) {
    return mine(x) && x.hdr.type == EventType::kDns && pred(*x.as<DnsPayload>());
  });
  return e ? std::optional<Event>(*e) : std::nullopt;
}

// Asks the resolver over UDP from a connected socket, as the C library does; returns the client port.
uint16_t ask_udp(int family, const char* resolver, uint16_t id, const std::string& name, uint16_t type) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage a = socket_address(family, resolver, 53, len);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
  Bytes q = query(id, name, type);
  EXPECT_EQ(send(fd, q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  uint8_t buf[512];
  EXPECT_GT(recv(fd, buf, sizeof(buf), 0), 12) << "the test resolver did not answer";
  uint16_t port = local_port(fd);
  close(fd);
  return port;
}

Result<std::unique_ptr<EventCollector>> start_collector() {
  LoaderSettings settings;
  settings.self_tgid = 0;  // the test process itself asks
  return EventCollector::start(settings);
}

FieldValue field(const Event& e, const char* name, const dns::NameTable* names = nullptr) {
  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};
  EventContext ctx{.event = e, .proc = nullptr, .processes = table, .clock = clock, .dns_names = names};
  auto list = extract_fields(builtin_fields(), ctx, {name});
  return list.empty() ? FieldValue() : list[0].second;
}

TEST(DnsSensor, UdpAnswerThenConnectCarriesTheName) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  EventCollector& c = **collector;
  UdpResolver resolver(AF_INET, kResolverV4);
  ASSERT_TRUE(resolver.ok()) << "cannot bind " << kResolverV4 << ":53: " << resolver.error();

  uint16_t client_port = ask_udp(AF_INET, kResolverV4, 0x4242, "Model.ztai.test", 1);
  auto ev = wait_dns(c, [](const DnsPayload& d) { return d.message && d.message->id == 0x4242; });
  ASSERT_TRUE(ev) << "no dns event for the answer";
  const DnsPayload* d = ev->as<DnsPayload>();
  EXPECT_EQ(d->proto, IPPROTO_UDP);
  EXPECT_EQ(d->server.to_string(), kResolverV4);
  EXPECT_EQ(d->server_port, 53);
  EXPECT_EQ(d->client.to_string(), "127.0.0.1");
  EXPECT_EQ(d->client_port, client_port);
  EXPECT_FALSE(d->truncated);
  EXPECT_EQ(d->parse_error, "");
  EXPECT_EQ(ev->hdr.tid, static_cast<uint32_t>(gettid())) << "the receiving thread";
  EXPECT_EQ(field(*ev, "evt.type"), FieldValue(std::string("dns")));
  EXPECT_EQ(field(*ev, "net.dns.query"), FieldValue(std::string("model.ztai.test")));
  EXPECT_EQ(field(*ev, "net.dns.qtype"), FieldValue(std::string("A")));
  EXPECT_EQ(field(*ev, "net.dns.rcode"), FieldValue(std::string("NOERROR")));
  EXPECT_EQ(field(*ev, "net.dns.answers"), FieldValue(std::vector<std::string>{kAnswerV4}));

  // The query went out from the same socket, sent with send() after connect().
  const Event* q = c.wait_for([](const Event& e) {
    return mine(e) && e.hdr.type == EventType::kDnsQuery && e.as<DnsPayload>()->message &&
           e.as<DnsPayload>()->message->id == 0x4242;
  });
  ASSERT_NE(q, nullptr) << "no dns_query event";
  EXPECT_FALSE(q->as<DnsPayload>()->message->is_response);
  EXPECT_EQ(q->as<DnsPayload>()->client_port, client_port);
  EXPECT_EQ(q->as<DnsPayload>()->server.to_string(), kResolverV4);
  EXPECT_EQ(field(*q, "evt.type"), FieldValue(std::string("dns_query")));
  EXPECT_EQ(field(*q, "net.dns.query"), FieldValue(std::string("model.ztai.test")));
  EXPECT_EQ(field(*q, "net.dns.rcode"), FieldValue()) << "a query has no response code";
  const Event* answer = c.wait_for([](const Event& e) {
    return mine(e) && e.hdr.type == EventType::kDns && e.as<DnsPayload>()->message &&
           e.as<DnsPayload>()->message->id == 0x4242;
  });
  ASSERT_NE(answer, nullptr);
  ev = *answer;
  d = ev->as<DnsPayload>();

  // The pipeline learns the answer; a later connect to that address carries the name.
  dns::NameTable names;
  names.learn(*d->message, ev->hdr.boot_ns);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;
  sockaddr_storage a = socket_address(AF_INET, kAnswerV4, 0, len);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  sockaddr_storage to = socket_address(AF_INET, kAnswerV4, local_port(lfd), len);
  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&to), len), 0);
  const Event* conn = c.wait_for([&](const Event& e) {
    return mine(e) && e.hdr.type == EventType::kConnect && e.as<NetPayload>()->fd == cfd;
  });
  ASSERT_NE(conn, nullptr) << "no connect event";
  EXPECT_EQ(field(*conn, "net.dip"), FieldValue(std::string(kAnswerV4)));
  EXPECT_EQ(field(*conn, "net.dns.names", &names), FieldValue(std::vector<std::string>{"model.ztai.test"}));
  close(cfd);
  close(lfd);
}

TEST(DnsSensor, NxdomainAndIpv6Transport) {
  auto collector = start_collector();
  ZTAI_KERNEL_PREREQ(collector ? Status() : Status(collector.error()));
  UdpResolver v6(AF_INET6, "::1");
  ASSERT_TRUE(v6.ok()) << "cannot bind [::1]:53: " << v6.error();
  uint16_t client_port = ask_udp(AF_INET6, "::1", 0x0606, "model.ztai.test", 28);
  auto ev = wait_dns(**collector, [](const DnsPayload& d) { return d.message && d.message->id == 0x0606; });
  ASSERT_TRUE(ev) << "no dns event over IPv6";
  const DnsPayload* d = ev->as<DnsPayload>();
  EXPECT_EQ(d->server.to_string(), "::1");
  EXPECT_EQ(d->client.to_string(), "::1");
  EXPECT_EQ(d->client_port, client_port);
  EXPECT_EQ(field(*ev, "net.dns.qtype"), FieldValue(std::string("AAAA")));
  EXPECT_EQ(field(*ev, "net.dns.answers"), FieldValue(std::vector<std::string>{"::1"}));

  ask_udp(AF_INET6, "::1", 0x0707, "absent.ztai.test", 1);
  auto nx = wait_dns(**collector, [](const DnsPayload& x) { return x.message && x.message->id == 0x0707; });
  ASSERT_TRUE(nx) << "no dns event for the NXDOMAIN answer";
  EXPECT_EQ(field(*nx, "net.dns.rcode"), FieldValue(std::string("NXDOMAIN")));
  EXPECT_EQ(field(*nx, "net.dns.query"), FieldValue(std::string("absent.ztai.test")));
  EXPECT_EQ(field(*nx, "net.dns.answers"), FieldValue(std::vector<std::string>{}));
}

}  // namespace
}  // namespace ztai
