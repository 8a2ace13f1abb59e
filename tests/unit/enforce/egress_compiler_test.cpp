#include "agent/enforce/egress_compiler.h"

#include <gtest/gtest.h>

#include "agent/policy/policy_parser.h"

namespace ztai::enforce {
namespace {

policy::WorkloadPolicy with_allow(const std::string& allow) {
  auto r = policy::parse_policy_text(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: { name: p }\n"
      "spec:\n  selector: { cgroup: /a }\n  egress:\n    default: deny\n    allow:\n" + allow,
      "p.yaml");
  EXPECT_TRUE(r) << r.error().message();
  return r->front();
}

const EgressPrefix* find(const std::vector<EgressPrefix>& v, const std::string& addr, uint8_t len) {
  auto a = IpAddress::parse(addr);
  for (const EgressPrefix& e : v) {
    if (e.addr == a->bytes && e.prefix_len == len) return &e;
  }
  return nullptr;
}

using Ranges = std::vector<std::tuple<uint16_t, uint16_t, uint8_t, uint16_t>>;

Ranges ranges(const EgressPrefix& e) {
  Ranges out;
  for (const auto& r : e.ranges) out.emplace_back(r.first, r.last, r.protocol, r.rule);
  return out;
}

TEST(EgressCompiler, Ipv4IsStoredMappedAndNarrowPrefixesInheritWiderPorts) {
  auto c = compile_egress(with_allow("      - { cidr: 10.0.0.0/8, ports: [5432], protocol: tcp }\n"
                                     "      - { cidr: 10.1.0.0/16, ports: [80, \"8000-8080\"] }\n"
                                     "      - { fqdn: api.example.com }\n"
                                     "      - { cidr: \"2001:db8::/32\", protocol: udp }\n"));
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->size(), 3u);
  const EgressPrefix* wide = find(*c, "::ffff:10.0.0.0", 104);
  ASSERT_TRUE(wide);
  EXPECT_EQ(ranges(*wide), (Ranges{{5432, 5432, 6, 0}}));
  const EgressPrefix* narrow = find(*c, "::ffff:10.1.0.0", 112);
  ASSERT_TRUE(narrow);
  // Its own ports and the wider rule's: one longest-prefix lookup decides.
  EXPECT_EQ(ranges(*narrow), (Ranges{{80, 80, 0, 1}, {8000, 8080, 0, 1}, {5432, 5432, 6, 0}}));
  const EgressPrefix* six = find(*c, "2001:db8::", 32);
  ASSERT_TRUE(six);
  EXPECT_EQ(ranges(*six), (Ranges{{0, 65535, 17, 3}}));
  ztai_egress_key k = egress_key(*narrow, 7, 1);
  EXPECT_EQ(k.prefixlen, 32u + 112u);
  EXPECT_EQ(k.policy_slot, 15u);
}

TEST(EgressCompiler, AnIpv6RuleNeverAllowsIpv4) {
  auto c = compile_egress(with_allow("      - { cidr: \"::/0\", ports: [443] }\n"));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 2u);
  const EgressPrefix* v4 = find(*c, "::ffff:0.0.0.0", 96);
  ASSERT_TRUE(v4) << "IPv4 gets its own entry with nothing allowed";
  EXPECT_TRUE(v4->ranges.empty());
  auto both = compile_egress(with_allow("      - { cidr: \"::/0\", ports: [443] }\n"
                                        "      - { cidr: 0.0.0.0/0, ports: [53] }\n"));
  ASSERT_TRUE(both);
  v4 = find(*both, "::ffff:0.0.0.0", 96);
  ASSERT_TRUE(v4);
  EXPECT_EQ(ranges(*v4), (Ranges{{53, 53, 0, 1}}));
}

TEST(EgressCompiler, TooManyPortRangesForOnePrefixIsAnErrorNotAWeakerPolicy) {
  std::string ports;
  for (int i = 1; i <= 17; i++) ports += (ports.empty() ? "" : ", ") + std::to_string(i * 100);
  auto c = compile_egress(with_allow("      - { cidr: 10.0.0.0/8, ports: [" + ports + "] }\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("p.yaml:9:9: policy 'p': 17 port ranges apply to 10.0.0.0/8"),
            std::string::npos)
      << c.error().message();
}

std::vector<policy::WorkloadPolicy> with_ingress(const std::string& ingress) {
  auto r = policy::parse_policy_text(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: { name: gw }\nspec:\n  selector: { cgroup: /gw }\n"
      "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: { name: api }\n"
      "spec:\n  selector: { cgroup: /api }\n  ingress:\n" + ingress,
      "p.yaml");
  EXPECT_TRUE(r) << r.error().message();
  return *r;
}

TEST(IngressCompiler, OneEntryPerCallingPolicyWithTheRulesPortsAndIndexes) {
  auto ps = with_ingress("    default: deny\n    allow:\n"
                         "      - { from: { workload: gw }, ports: [8000], protocol: tcp }\n"
                         "      - { from: { workload: api }, ports: [\"9000-9100\"] }\n"
                         "      - { from: { workload: gw } }\n");
  auto c = compile_ingress(ps, 1);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].from_policy, 1u);  // gw, loaded first
  Ranges gw;
  for (const auto& r : (*c)[0].ranges) gw.emplace_back(r.first, r.last, r.protocol, r.rule);
  EXPECT_EQ(gw, (Ranges{{8000, 8000, 6, 0}, {0, 65535, 0, 2}}));
  EXPECT_EQ((*c)[1].from_policy, 2u);
  EXPECT_EQ((*c)[1].ranges.size(), 1u);
  EXPECT_EQ((*c)[1].ranges[0].rule, 1u);
  // A policy without ingress, or one whose ingress defaults to allow, filters nothing.
  EXPECT_TRUE(compile_ingress(ps, 0)->empty());
  EXPECT_TRUE(compile_ingress(with_ingress("    default: allow\n    allow: [ { from: { workload: gw } } ]\n"), 1)->empty());
}

TEST(IngressCompiler, RefusesMorePortRangesThanTheKernelEntryHoldsNamingTheRule) {
  std::string ports;
  for (int i = 0; i < 17; i++) ports += (i ? ", " : "") + std::to_string(1000 + 2 * i);
  auto c = compile_ingress(with_ingress("    default: deny\n    allow:\n      - { from: { workload: gw }, ports: [" + ports +
                                        "] }\n"),
                           1);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("p.yaml:"), std::string::npos) << c.error().message();
  EXPECT_NE(c.error().message().find("'gw'"), std::string::npos) << c.error().message();
}

}  // namespace
}  // namespace ztai::enforce
