#include "agent/protocols/dns/resolv_conf.h"

#include <gtest/gtest.h>

namespace ztai::dns {
namespace {

TEST(ResolvConf, NameserverLinesInOrderWithoutDuplicates) {
  auto servers = nameservers_of(
      "# generated\nsearch example.com\nnameserver 127.0.0.53\n; comment\nnameserver fe80::1%eth0\n"
      "nameserver   10.0.0.2  \nnameserver 127.0.0.53\nnameserver not-an-address\noptions edns0\n");
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].str(), "127.0.0.53:53");
  EXPECT_EQ(servers[1].str(), "[fe80::1]:53");
  EXPECT_EQ(servers[2].str(), "10.0.0.2:53");
  EXPECT_TRUE(nameservers_of("").empty());
}

TEST(ResolvConf, ServersFromTheConfiguration) {
  auto a = parse_dns_server("10.96.0.10");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->str(), "10.96.0.10:53");
  auto b = parse_dns_server("127.0.0.1:5353");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 5353);
  auto c = parse_dns_server("[fd00::a]:5300");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->str(), "[fd00::a]:5300");
  auto d = parse_dns_server("::1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 53);
  for (const char* bad : {"", "resolver.local", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:", "[::1", "[1.2.3.4]:53",
                          "[::1]x", "1.2.3.4:53x"}) {
    auto r = parse_dns_server(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message().find("write ADDRESS, IPv4:PORT or [IPv6]:PORT"), std::string::npos);
    }
  }
}

TEST(ResolvConf, AnUnreadableFileIsAnError) {
  auto r = read_nameservers("/nonexistent/resolv.conf");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/nonexistent/resolv.conf"), std::string::npos);
}

}  // namespace
}  // namespace ztai::dns
