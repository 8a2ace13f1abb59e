// Network enforcement in the kernel, in a cgroup the test creates and attaches to (never the
// root): allowed connects succeed and denied ones fail with EPERM over IPv4, IPv6 and IPv4-mapped
// IPv6, UDP to a resolver the policy does not allow fails, audit mode denies nothing but reports,
// a cgroup made after the load is covered, a reload swaps generations, and quarantine denies all.
// Traffic goes to 127.0.0.1 and ::1 only.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "tests/bpf/support/enforced_cgroup_test.h"
#include "tests/support/loopback.h"

namespace ztai {
namespace {

using testing::LoopbackListener;
using testing::reach;

class EgressTest : public testing::EnforcedCgroupTest {
 protected:
  void SetUp() override { attach_to_test_cgroup("egress"); }

  void TearDown() override {
    EnforcedCgroupTest::TearDown();
    if (enforcer_) {
      EXPECT_TRUE(enforcer_->maps().release(cgroup_->id()));
    }
  }

  // Loads policy text (selector: this test's cgroup and everything below it).
  void apply(const std::string& mode, const std::string& allow) {
    std::string text = fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: egress-test }}\n"
        "spec:\n  selector: {{ cgroup: \"{}/*\" }}\n  mode: {}\n  egress:\n    default: deny\n    allow:\n{}",
        selector_path(), mode, allow);
    // The selector names the children; the test cgroup itself is added as their parent would be.
    apply_policies(text, "egress-test.yaml", [&](policy::PolicyTargets& t) { t.by_cgroup[cgroup_->id()] = 0; });
  }

  // Runs reach() in a child inside the test cgroup (or its child cgroup `sub`).
  int reach_from_cgroup(int family, int type, const char* ip, uint16_t port, const std::string& sub = "") {
    return exit_code_in_cgroup([&] { return reach(family, type, ip, port); }, sub);
  }
};

TEST_F(EgressTest, AllowsWhatThePolicyAllowsAndDeniesTheRestWithEperm) {
  LoopbackListener tcp4(AF_INET, SOCK_STREAM, "127.0.0.1"), other4(AF_INET, SOCK_STREAM, "127.0.0.1");
  LoopbackListener tcp6(AF_INET6, SOCK_STREAM, "::1"), other6(AF_INET6, SOCK_STREAM, "::1");
  LoopbackListener udp(AF_INET, SOCK_DGRAM, "127.0.0.1");
  ASSERT_TRUE(tcp4.port && other4.port && tcp6.port && other6.port && udp.port);
  apply("enforce", fmt::format("      - {{ name: local-tcp, cidr: 127.0.0.1/32, ports: [{}], protocol: tcp }}\n"
                               "      - {{ name: local-v6, cidr: \"::1/128\", ports: [{}] }}\n"
                               "      - {{ name: resolver, cidr: 127.0.0.0/8, ports: [{}], protocol: udp }}\n",
                               tcp4.port, tcp6.port, udp.port));

  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", tcp4.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other4.port), EPERM);
  auto d = denial_of(last_child_, other4.port);
  ASSERT_TRUE(d) << "no denial record for the refused IPv4 connect";
  EXPECT_EQ(d->hook, PolicyHook::kConnect4);
  EXPECT_FALSE(d->audit);
  EXPECT_EQ(d->protocol, IPPROTO_TCP);
  EXPECT_EQ(d->daddr.to_string(), "127.0.0.1");
  enforce::DenialNames names = enforcer_->describe(d->generation, d->policy_id, d->rule);
  EXPECT_EQ(names.policy, "egress-test");
  EXPECT_EQ(names.rule, "egress.default");
  EXPECT_EQ(names.mode, "enforce");

  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::1", tcp6.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::1", other6.port), EPERM);
  d = denial_of(last_child_, other6.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kConnect6);
  EXPECT_EQ(d->daddr.to_string(), "::1");

  // A dual-stack socket reaching an IPv4 peer is judged by the IPv4 rules.
  LoopbackListener dual(AF_INET6, SOCK_STREAM, "::");
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", tcp4.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", other4.port), EPERM);
  d = denial_of(last_child_, other4.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kConnect6);
  EXPECT_EQ(d->daddr.to_string(), "127.0.0.1");

  // Unconnected UDP: the allowed resolver port goes through, a resolver the policy does not name fails.
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.1", udp.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.2", 53), EPERM);
  d = denial_of(last_child_, 53);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kSendmsg4);
  EXPECT_EQ(d->protocol, IPPROTO_UDP);
  // The TCP-only rule does not allow UDP to its port.
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.1", tcp4.port), EPERM);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_DGRAM, "::1", 53), EPERM);

  // The test process itself is outside the cgroup: not governed.
  EXPECT_EQ(reach(AF_INET, SOCK_STREAM, "127.0.0.1", other4.port), 0);
}

TEST_F(EgressTest, AuditModeDeniesNothingAndReportsWhatEnforceWould) {
  LoopbackListener allowed(AF_INET, SOCK_STREAM, "127.0.0.1"), other(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("audit", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", allowed.port));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other.port), 0);
  auto d = denial_of(last_child_, other.port);
  ASSERT_TRUE(d) << "audit mode must report what enforce would deny";
  EXPECT_TRUE(d->audit);
  EXPECT_EQ(enforcer_->describe(d->generation, d->policy_id, d->rule).mode, "audit");
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", allowed.port), 0);
  EXPECT_FALSE(denial_of(last_child_, allowed.port)) << "an allowed connect is not reported";
}

TEST_F(EgressTest, ACgroupMadeAfterTheLoadIsCoveredByTheKernel) {
  LoopbackListener other(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("enforce", "      - { cidr: 10.0.0.0/8 }\n");
  // Made after the policy load: only the kernel's cgroup_mkdir copy can cover it.
  auto late = cgroup_->create_child("late");
  ASSERT_TRUE(late) << late.error().message();
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other.port, "late"), EPERM);
  auto gen = enforcer_->maps().generation();
  ASSERT_TRUE(gen);
  auto ids = enforcer_->maps().cgroups_in(*gen);
  ASSERT_TRUE(ids);
  EXPECT_NE(std::find(ids->begin(), ids->end(), *late), ids->end());
}

TEST_F(EgressTest, AReloadSwapsGenerationsAndClearsTheOldOne) {
  LoopbackListener a(AF_INET, SOCK_STREAM, "127.0.0.1"), b(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("enforce", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", a.port));
  auto first = enforcer_->maps().generation();
  ASSERT_TRUE(first);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", b.port), EPERM);
  apply("enforce", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", b.port));
  auto second = enforcer_->maps().generation();
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", b.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), EPERM);
  auto old = enforcer_->maps().cgroups_in(*first);
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->empty());
}

TEST_F(EgressTest, QuarantineDeniesEverythingUntilReleased) {
  LoopbackListener a(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_TRUE(enforcer_->maps().quarantine(cgroup_->id()));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), EPERM);
  auto d = denial_of(last_child_, a.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule, ZTAI_POLICY_RULE_QUARANTINE);
  ASSERT_TRUE(enforcer_->maps().release(cgroup_->id()));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), 0);
}

}  // namespace
}  // namespace ztai
