// The address -> names table: CNAME chains, TTL expiry with a floor, bounds.
#include "agent/protocols/dns/dns_names.h"

#include <gtest/gtest.h>

namespace ztai::dns {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;

ResourceRecord a_record(std::string name, const char* ip, uint32_t ttl) {
  ResourceRecord rr;
  rr.name = std::move(name);
  rr.address = IpAddress::parse(ip);
  rr.type = rr.address->family == IpAddress::Family::kV4 ? kTypeA : kTypeAaaa;
  rr.ttl = ttl;
  return rr;
}

ResourceRecord cname(std::string name, std::string target) {
  ResourceRecord rr;
  rr.name = std::move(name);
  rr.type = kTypeCname;
  rr.target = std::move(target);
  rr.ttl = 300;
  return rr;
}

Message response(std::vector<ResourceRecord> answers) {
  Message m;
  m.is_response = true;
  m.answers = std::move(answers);
  return m;
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

TEST(DnsNameTable, AddressCarriesItsNameAndCnameChain) {
  NameTable t;
  t.learn(response({cname("api.example.com", "lb.example.net"), cname("lb.example.net", "edge.cdn.net"),
                    a_record("edge.cdn.net", "10.1.2.3", 120)}),
          100 * kSec);
  auto names = t.names_for(ip("10.1.2.3"), 101 * kSec);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"api.example.com", "edge.cdn.net", "lb.example.net"}));
  EXPECT_TRUE(t.names_for(ip("10.1.2.4"), 101 * kSec).empty());
}

TEST(DnsNameTable, NamesExpireAfterTheirTtlButNotBeforeTheFloor) {
  NameTable t(NameTableSettings{.max_addresses = 100, .max_names_per_address = 4, .min_ttl_seconds = 30});
  t.learn(response({a_record("short.test", "192.0.2.1", 0), a_record("long.test", "192.0.2.2", 600)}), 0);
  EXPECT_EQ(t.names_for(ip("192.0.2.1"), 29 * kSec), std::vector<std::string>{"short.test"});
  EXPECT_TRUE(t.names_for(ip("192.0.2.1"), 30 * kSec).empty());
  EXPECT_EQ(t.names_for(ip("192.0.2.2"), 599 * kSec), std::vector<std::string>{"long.test"});
  EXPECT_TRUE(t.names_for(ip("192.0.2.2"), 600 * kSec).empty());
}

TEST(DnsNameTable, MappedIpv6FindsTheIpv4Entry) {
  NameTable t;
  t.learn(response({a_record("dual.test", "127.0.0.9", 60)}), 0);
  EXPECT_EQ(t.names_for(ip("::ffff:127.0.0.9"), kSec), std::vector<std::string>{"dual.test"});
}

TEST(DnsNameTable, ErrorsAndQueriesTeachNothing) {
  NameTable t;
  Message nx = response({a_record("x.test", "192.0.2.7", 60)});
  nx.rcode = 3;
  t.learn(nx, 0);
  Message query = response({a_record("y.test", "192.0.2.8", 60)});
  query.is_response = false;
  t.learn(query, 0);
  EXPECT_EQ(t.size(), 0u);
}

TEST(DnsNameTable, BoundedInAddressesAndNames) {
  NameTable t(NameTableSettings{.max_addresses = 10, .max_names_per_address = 2, .min_ttl_seconds = 1});
  for (int i = 0; i < 50; ++i) {
    std::string addr = "10.0.0." + std::to_string(i);
    t.learn(response({a_record("n" + std::to_string(i) + ".test", addr.c_str(), static_cast<uint32_t>(100 + i))}),
            0);
    EXPECT_LE(t.size(), 10u);
  }
  EXPECT_GT(t.evicted(), 0u);
  // The longest-lived entries stay.
  EXPECT_EQ(t.names_for(ip("10.0.0.49"), kSec), std::vector<std::string>{"n49.test"});

  NameTable few(NameTableSettings{.max_addresses = 10, .max_names_per_address = 2, .min_ttl_seconds = 1});
  for (const char* n : {"a.test", "b.test", "c.test"}) few.learn(response({a_record(n, "10.9.9.9", 100)}), 0);
  EXPECT_EQ(few.names_for(ip("10.9.9.9"), kSec).size(), 2u);
}

}  // namespace
}  // namespace ztai::dns
