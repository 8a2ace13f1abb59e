#include "agent/enforce/network_enforcer.h"

#include <gtest/gtest.h>

#include "agent/policy/policy_parser.h"

namespace ztai::enforce {
namespace {

policy::WorkloadPolicy parse(const std::string& spec) {
  auto r = policy::parse_policy_text(
      "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: { name: p }\nspec:\n" + spec, "p.yaml");
  EXPECT_TRUE(r) << r.error().message();
  return r->front();
}

TEST(AssessPolicy, FullyEnforcedWhenEverythingItSaysIsInTheKernel) {
  auto s = assess_policy(parse("  selector: { cgroup: /a }\n  egress: { allow: [ { cidr: 10.0.0.0/8 } ] }\n"), {}, 3);
  EXPECT_EQ(s.state, EnforcementState::kEnforced);
  EXPECT_TRUE(s.reasons.empty());
  EXPECT_EQ(s.cgroups, 3u);
  EXPECT_EQ(enforcement_state_name(s.state), "enforced");
}

TEST(AssessPolicy, SaysWhyItIsWeaker) {
  auto p = parse("  selector: { cgroup: /a }\n  egress: { allow: [ { fqdn: a.example.com } ] }\n");
  EXPECT_EQ(assess_policy(p, {}, 1).state, EnforcementState::kEnforced) << "fqdn rules are enforced in the kernel";
  EnforceEnvironment no_skb;
  no_skb.fqdn = false;
  auto s = assess_policy(p, no_skb, 1);
  EXPECT_EQ(s.state, EnforcementState::kPartial);
  ASSERT_EQ(s.reasons.size(), 1u);
  EXPECT_NE(s.reasons[0].find("fqdn rules are not enforced: the DNS answer programs (cgroup_skb)"), std::string::npos);

  EnforceEnvironment no_inherit;
  no_inherit.inherit = false;
  s = assess_policy(parse("  selector: { cgroup: /a }\n"), no_inherit, 1);
  EXPECT_EQ(s.state, EnforcementState::kPartial);

  EnforceEnvironment hybrid;
  hybrid.kubernetes = true;
  hybrid.hybrid_cgroups = true;
  s = assess_policy(parse("  selector: { container: { image: \"x*\" } }\n"), hybrid, 1);
  EXPECT_EQ(s.state, EnforcementState::kPartial);
  EXPECT_NE(s.reasons[0].find("cgroup v1 only"), std::string::npos);
}

TEST(AssessPolicy, NotEnforcedWithoutWhatItsSelectorNeeds) {
  auto s = assess_policy(parse("  selector: { k8s: { namespace: ml } }\n"), {}, 0);
  EXPECT_EQ(s.state, EnforcementState::kNotEnforced);
  EXPECT_NE(s.reasons[0].find("Kubernetes"), std::string::npos);
  EnforceEnvironment detached;
  detached.attached = false;
  s = assess_policy(parse("  selector: { cgroup: /a }\n"), detached, 0);
  EXPECT_EQ(s.state, EnforcementState::kNotEnforced);
}

TEST(AssessPolicy, IngressRulesSayWhichCallersAreChecked) {
  auto p = parse("  selector: { cgroup: /a }\n  ingress: { default: deny, allow: [ { from: { workload: p } } ] }\n");
  auto s = assess_policy(p, {}, 1);
  EXPECT_EQ(s.state, EnforcementState::kPartial);
  ASSERT_EQ(s.reasons.size(), 1u);
  EXPECT_NE(s.reasons[0].find("other hosts are not checked"), std::string::npos) << s.reasons[0];
  EnforceEnvironment cluster;
  cluster.remote_pods = true;
  s = assess_policy(p, cluster, 1);
  ASSERT_EQ(s.reasons.size(), 1u);
  EXPECT_NE(s.reasons[0].find("hosts that do not run ztai"), std::string::npos) << s.reasons[0];
  EnforceEnvironment unseeded;
  unseeded.seeded = false;
  s = assess_policy(p, unseeded, 1);
  ASSERT_EQ(s.reasons.size(), 2u);
  EXPECT_NE(s.reasons[0].find("bound before the agent started"), std::string::npos) << s.reasons[0];
  EnforceEnvironment same_namespace_only;
  same_namespace_only.namespaces = false;
  s = assess_policy(p, same_namespace_only, 1);
  ASSERT_EQ(s.reasons.size(), 2u);
  EXPECT_NE(s.reasons[0].find("only for callers in the receiver's network namespace"), std::string::npos)
      << s.reasons[0];
  EnforceEnvironment unsegmented;
  unsegmented.segmented = false;
  s = assess_policy(p, unsegmented, 1);
  EXPECT_NE(s.reasons[0].find("not enforced"), std::string::npos) << s.reasons[0];
  // ingress.default: allow asks for nothing the kernel must do.
  s = assess_policy(parse("  selector: { cgroup: /a }\n  ingress: { default: allow }\n"), unsegmented, 1);
  EXPECT_EQ(s.state, EnforcementState::kEnforced);
}

}  // namespace
}  // namespace ztai::enforce
