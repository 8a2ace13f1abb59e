#include "agent/enforce/fqdn_compiler.h"

#include <gtest/gtest.h>

#include "agent/policy/policy_parser.h"

namespace ztai::enforce {
namespace {

policy::WorkloadPolicy with_allow(const std::string& allow, const std::string& name = "p") {
  auto r = policy::parse_policy_text("apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: { name: " + name +
                                         " }\nspec:\n  selector: { cgroup: /a }\n  egress:\n    default: deny\n"
                                         "    allow:\n" + allow,
                                     "p.yaml");
  EXPECT_TRUE(r) << r.error().message();
  return r->front();
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// The kernel's key of a name it reads in an answer: reversed labels, then the 0 byte.
std::vector<uint8_t> name_key(const std::string& name) {
  auto k = fqdn_key_bytes({PathPattern::Kind::kExact, name});
  EXPECT_TRUE(k) << k.error().message();
  return *k;
}

// The trie's answer for a name: the longest entry that is a prefix of its key.
const FqdnName* lookup(const std::vector<FqdnName>& names, const std::string& name) {
  std::vector<uint8_t> key = name_key(name);
  const FqdnName* best = nullptr;
  for (const FqdnName& n : names) {
    if (n.key.size() <= key.size() && std::equal(n.key.begin(), n.key.end(), key.begin()) &&
        (!best || n.key.size() > best->key.size())) {
      best = &n;
    }
  }
  return best;
}

std::vector<std::pair<uint16_t, uint16_t>> rules_ports(const FqdnName* n) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  if (!n) return out;
  for (const auto& r : n->ranges) out.emplace_back(r.rule, r.first);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FqdnCompiler, NamesAreReversedWireLabels) {
  EXPECT_EQ(name_key("api.example.com"), bytes(std::string_view("\x03" "com" "\x07" "example" "\x03" "api" "\x00", 17)));
  auto wild = fqdn_key_bytes({PathPattern::Kind::kSuffix, ".Example.COM"});
  ASSERT_TRUE(wild);
  EXPECT_EQ(*wild, bytes("\x03" "com" "\x07" "example")) << "lower case, no final 0 byte: a prefix";
  auto long_label = fqdn_key_bytes({PathPattern::Kind::kExact, std::string(64, 'a') + ".com"});
  ASSERT_FALSE(long_label);
  EXPECT_NE(long_label.error().message().find("longer than 63"), std::string::npos);
  std::string long_name;
  for (int i = 0; i < 5; i++) long_name += std::string(50, 'a') + ".";
  long_name += "com";
  auto too_long = fqdn_key_bytes({PathPattern::Kind::kExact, long_name});
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message().find("the kernel matches names up to 251"), std::string::npos);
}

TEST(FqdnCompiler, WildcardsCoverNamesBelowTheSuffixButNotTheSuffix) {
  auto names = compile_fqdn(with_allow("      - { fqdn: \"*.huggingface.co\", ports: [443] }\n"
                                       "      - { fqdn: cdn.huggingface.co, ports: [80] }\n"
                                       "      - { fqdn: \"*.co\", ports: [8443] }\n"
                                       "      - { cidr: 10.0.0.0/8 }\n"
                                       "      - { fqdn: exact.example.com, ports: [22], protocol: tcp }\n"));
  ASSERT_TRUE(names) << names.error().message();
  using P = std::vector<std::pair<uint16_t, uint16_t>>;
  EXPECT_EQ(rules_ports(lookup(*names, "api.huggingface.co")), (P{{0, 443}, {2, 8443}}));
  EXPECT_EQ(rules_ports(lookup(*names, "a.b.huggingface.co")), (P{{0, 443}, {2, 8443}}));
  EXPECT_EQ(rules_ports(lookup(*names, "cdn.huggingface.co")), (P{{0, 443}, {1, 80}, {2, 8443}}));
  EXPECT_EQ(rules_ports(lookup(*names, "huggingface.co")), (P{{2, 8443}})) << "the suffix is only under *.co";
  EXPECT_EQ(rules_ports(lookup(*names, "co")), P{}) << "*.co does not cover co itself";
  EXPECT_EQ(rules_ports(lookup(*names, "exact.example.com")), (P{{4, 22}}));
  EXPECT_EQ(lookup(*names, "a.exact.example.com"), nullptr) << "an exact name covers nothing below it";
  EXPECT_EQ(lookup(*names, "example.com"), nullptr);
  EXPECT_EQ(lookup(*names, "xhuggingface.co") ? rules_ports(lookup(*names, "xhuggingface.co")) : P{}, (P{{2, 8443}}))
      << "label boundaries: xhuggingface.co is under *.co only";
  const FqdnName* exact = lookup(*names, "exact.example.com");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->ranges[0].protocol, 6);
}

TEST(FqdnCompiler, NoFqdnRulesNoEntriesAndSignaturesFollowTheRules) {
  auto none = compile_fqdn(with_allow("      - { cidr: 10.0.0.0/8 }\n"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(fqdn_signature(with_allow("      - { cidr: 10.0.0.0/8 }\n")), "");
  std::string rules = "      - { fqdn: \"*.example.com\", ports: [443] }\n";
  EXPECT_EQ(fqdn_signature(with_allow(rules)), fqdn_signature(with_allow(rules)));
  EXPECT_NE(fqdn_signature(with_allow(rules)), fqdn_signature(with_allow(rules, "q"))) << "another policy";
  EXPECT_NE(fqdn_signature(with_allow(rules)),
            fqdn_signature(with_allow("      - { fqdn: \"*.example.com\", ports: [444] }\n")));
  EXPECT_NE(fqdn_signature(with_allow(rules)), fqdn_signature(with_allow("      - { cidr: 10.0.0.0/8 }\n" + rules)))
      << "rule indices are reported, so they are part of it";
}

TEST(FqdnCompiler, TooManyPortRangesOnOneNameAreRefusedNamingTheRule) {
  std::string ports;
  for (int i = 0; i < 17; i++) ports += (i ? ", " : "") + std::to_string(1000 + i * 2);
  auto names = compile_fqdn(with_allow("      - { fqdn: a.example.com, ports: [" + ports + "] }\n"));
  ASSERT_FALSE(names);
  EXPECT_NE(names.error().message().find("p.yaml:"), std::string::npos) << names.error().message();
  EXPECT_NE(names.error().message().find("17 port ranges apply to one DNS name"), std::string::npos);
}

TEST(FqdnCompiler, KeysCarryThePolicySlot) {
  FqdnName n{name_key("a.b"), {}};
  ztai_fqdn_key k = fqdn_key(n, 3, 1);
  EXPECT_EQ(k.policy_slot, 7u);
  EXPECT_EQ(k.prefixlen, 32u + 8 * 5);
  EXPECT_EQ(k.name[0], 1);
  EXPECT_EQ(k.name[1], 'b');
  EXPECT_EQ(k.name[4], 0);
}

}  // namespace
}  // namespace ztai::enforce
