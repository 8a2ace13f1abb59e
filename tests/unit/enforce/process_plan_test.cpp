// WorkloadPolicies to the process and file guards' plans: ids and names of every rule, only
// the top of each governed subtree in the tables, a nested cgroup of another policy kept.
#include "agent/enforce/process_plan.h"

#include <gtest/gtest.h>

#include "agent/policy/policy_parser.h"

namespace ztai::enforce {
namespace {

std::vector<policy::WorkloadPolicy> policies() {
  auto r = policy::parse_policy_text(R"(apiVersion: ztai.io/v1alpha1
kind: WorkloadPolicy
metadata: { name: model-server }
spec:
  selector: { cgroup: "/m" }
  mode: audit
  exec:
    default: deny
    allow: [ { path: /bin/true } ]
    deny: [ { name: no-curl, path: /usr/bin/curl } ]
  files:
    deny: [ { path: /etc/shadow } ]
  io_uring: deny
---
apiVersion: ztai.io/v1alpha1
kind: WorkloadPolicy
metadata: { name: batch }
spec:
  selector: { cgroup: "/m/batch" }
  unix:
    deny: [ { path: /var/run/docker.sock } ]
)",
                                     "p.yaml");
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : std::vector<policy::WorkloadPolicy>{};
}

TEST(ProcessPlan, RulesGetIdsAndNames) {
  auto ps = policies();
  std::vector<policy::CgroupFacts> cgroups(4);
  cgroups[0].id = 10, cgroups[0].path = "/m";
  cgroups[1].id = 11, cgroups[1].path = "/m/c1";
  cgroups[2].id = 12, cgroups[2].path = "/m/batch";
  cgroups[3].id = 13, cgroups[3].path = "/m/batch/job";
  policy::PolicyTargets targets;
  targets.by_cgroup = {{10, 0}, {11, 0}, {12, 1}, {13, 1}};
  ProcessPlans plans = build_process_plans(ps, targets, cgroups, "/sys/fs/cgroup");

  ASSERT_EQ(plans.process.policies.size(), 2u);
  const ProcessPolicy& model = plans.process.policies[0];
  EXPECT_EQ(model.policy_id, 1u);
  EXPECT_TRUE(model.audit);
  EXPECT_TRUE(model.exec_default_deny);
  ASSERT_EQ(model.exec_rules.size(), 2u);
  EXPECT_TRUE(model.exec_rules[1].deny);
  EXPECT_TRUE(model.io_uring_deny);

  GuardDenialPayload d;
  d.policy_id = 1;
  d.rule_id = model.exec_rules[1].rule_id;
  plans.names.name(d);
  EXPECT_EQ(d.policy_name, "model-server");
  EXPECT_EQ(d.rule_name, "no-curl");
  d.rule_id = model.exec_default_rule_id;
  plans.names.name(d);
  EXPECT_EQ(d.rule_name, "exec.default");
  d.rule_id = model.io_uring_rule_id;
  plans.names.name(d);
  EXPECT_EQ(d.rule_name, "io_uring");
  EXPECT_EQ(plans.names.policies.at(1).mode, "audit");

  // Only /m and /m/batch: their children are found through the ancestor lookup.
  ASSERT_EQ(plans.process.targets.size(), 2u);
  EXPECT_EQ(plans.process.targets[0].cgroup_id, 10u);
  EXPECT_EQ(plans.process.targets[0].cgroup_path, "/sys/fs/cgroup/m");
  EXPECT_EQ(plans.process.targets[1].cgroup_id, 12u);
  EXPECT_EQ(plans.process.targets[1].policy, 1u);

  ASSERT_EQ(plans.files.policies.size(), 2u);
  EXPECT_EQ(plans.files.policies[0].deny[0].name, "files.deny[0]");
  EXPECT_TRUE(plans.files.policies[1].deny.empty());
  EXPECT_EQ(plans.files.workloads.at("/m"), 0u);
  EXPECT_EQ(plans.files.workloads.at("/m/batch"), 1u);
  EXPECT_FALSE(decide_open(plans.files, "/m/batch/job", "/etc/shadow", false))
      << "the batch policy governs its cgroups, not its parent's";
  EXPECT_TRUE(decide_open(plans.files, "/m/c1", "/etc/shadow", false));
}

TEST(ProcessPlan, UnknownIdsNameNothing) {
  GuardNames names;
  GuardDenialPayload d;
  d.policy_id = 7;
  names.name(d);
  EXPECT_EQ(d.policy_name, "");
}

}  // namespace
}  // namespace ztai::enforce
