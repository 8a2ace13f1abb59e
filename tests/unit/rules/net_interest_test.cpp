// The kernel drops the network, DNS and blind-spot events no rule can match.
#include "agent/rules/net_interest.h"

#include <gtest/gtest.h>

#include "agent/rules/rule_compiler.h"
#include "agent/rules/rule_document.h"
#include "bpf/abi/events.h"

namespace ztai::rules {
namespace {

uint32_t skip_of(const std::string& yaml) {
  Diagnostics diags;
  RuleDocument doc;
  doc.add_text(yaml, "test.yaml", diags);
  auto set = compile_rules(doc, builtin_fields(), diags);
  EXPECT_NE(set, nullptr) << diags.errors_text();
  return set ? net_skip_mask(*set) : 0;
}

std::string rule(const std::string& name, const std::string& condition) {
  return "- rule: " + name + "\n  desc: d\n  condition: " + condition + "\n  output: o\n  priority: WARNING\n";
}

constexpr uint32_t kAll = ZTAI_NET_SKIP_BIT(ZTAI_EVENT_DNS_QUERY + 1) - 1;

TEST(NetInterest, NoNetworkRuleDropsEveryNetworkEvent) {
  EXPECT_EQ(skip_of(rule("exec", "evt.type = execve and proc.name = bash")), kAll);
  EXPECT_EQ(skip_of(""), kAll);
}

TEST(NetInterest, ARuleKeepsItsTypesAndDns) {
  uint32_t skip = skip_of(rule("port", "evt.type = connect and net.dport = 11434"));
  EXPECT_FALSE(skip & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_NET_CONNECT));
  EXPECT_FALSE(skip & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_DNS)) << "answers name the connect's address";
  EXPECT_TRUE(skip & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_NET_SENDTO));
  EXPECT_TRUE(skip & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_NET_CLOSE));
  EXPECT_TRUE(skip & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_IO_URING_SETUP));

  uint32_t blind = skip_of(rule("uring", "evt.type = io_uring_setup"));
  EXPECT_FALSE(blind & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_IO_URING_SETUP));
  EXPECT_TRUE(blind & ZTAI_NET_SKIP_BIT(ZTAI_EVENT_DNS)) << "no network rule: no need for names";
}

TEST(NetInterest, ARuleWithoutAnEventTypeKeepsEverything) {
  EXPECT_EQ(skip_of(rule("any", "proc.name = nc")), 0u);
}

}  // namespace
}  // namespace ztai::rules
