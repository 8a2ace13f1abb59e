// Which rule refuses an open: the nearest targeted cgroup decides, exact and directory rules,
// read/write versus exec opens, and processes outside every targeted workload.
#include "agent/enforce/file_rules.h"

#include <gtest/gtest.h>

namespace ztai::enforce {
namespace {

FileGuardPlan plan() {
  FileGuardPlan p;
  FilePolicy model{1, "model-server", false, {}};
  model.deny.push_back({10, "files.deny[0]", {PathPattern::Kind::kExact, "/etc/shadow"}, kFileRead});
  model.deny.push_back({11, "files.deny[1]", {PathPattern::Kind::kPrefix, "/srv/keys/"}, kFileRead | kFileWrite});
  model.deny.push_back({12, "files.deny[2]", {PathPattern::Kind::kExact, "/usr/bin/curl"}, kFileExec});
  FilePolicy other{2, "batch", true, {}};
  other.deny.push_back({20, "files.deny[0]", {PathPattern::Kind::kExact, "/etc/shadow"}, kFileRead});
  p.policies = {model, other};
  p.workloads["/ztai.slice/model"] = 0;
  p.workloads["/ztai.slice/model/inner/batch"] = 1;
  return p;
}

TEST(FileRules, TheTargetedCgroupAndTheCgroupsBelowItAreRefused) {
  FileGuardPlan p = plan();
  auto d = decide_open(p, "/ztai.slice/model", "/etc/shadow", false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->policy->name, "model-server");
  EXPECT_EQ(d->rule->rule_id, 10u);
  EXPECT_EQ(d->workload, "/ztai.slice/model");

  d = decide_open(p, "/ztai.slice/model/inner", "/etc/shadow", false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->workload, "/ztai.slice/model");
}

TEST(FileRules, TheNearestTargetedAncestorDecides) {
  FileGuardPlan p = plan();
  auto d = decide_open(p, "/ztai.slice/model/inner/batch/job", "/etc/shadow", false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->policy->name, "batch");
  EXPECT_TRUE(d->policy->audit);
  // The batch policy protects no keys, although its parent's policy does.
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model/inner/batch", "/srv/keys/a.pem", false));
}

TEST(FileRules, OtherWorkloadsAndOtherFilesAreAllowed) {
  FileGuardPlan p = plan();
  EXPECT_FALSE(decide_open(p, "/ztai.slice/modelx", "/etc/shadow", false)) << "a sibling with a longer name";
  EXPECT_FALSE(decide_open(p, "/", "/etc/shadow", false));
  EXPECT_FALSE(decide_open(p, "", "/etc/shadow", false));
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/etc/passwd", false));
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/srv/keysx", false));
}

TEST(FileRules, DirectoryRulesCoverTheTree) {
  FileGuardPlan p = plan();
  auto d = decide_open(p, "/ztai.slice/model", "/srv/keys/deep/er/a.pem", false);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule->rule_id, 11u);
}

TEST(FileRules, ExecRulesRefuseOnlyOpensForExecution) {
  FileGuardPlan p = plan();
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/usr/bin/curl", false)) << "reading the binary is allowed";
  auto d = decide_open(p, "/ztai.slice/model", "/usr/bin/curl", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule->rule_id, 12u);
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/etc/shadow", true)) << "a read rule does not refuse exec";
}

TEST(FileRules, AnExactRuleFollowsItsInodeToAnotherName) {
  FileGuardPlan p = plan();
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/etc/shadow.moved", false));
  auto d = decide_open(p, "/ztai.slice/model", "/etc/shadow.moved", false, {{0, 0}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule->rule_id, 10u);
  EXPECT_FALSE(decide_open(p, "/ztai.slice/model", "/etc/shadow.moved", false, {{1, 0}}))
      << "another policy's rule does not apply to this workload";
}

TEST(FileRules, APolicyIndexOutOfRangeDecidesNothing) {
  FileGuardPlan p = plan();
  p.workloads["/broken"] = 7;
  EXPECT_FALSE(decide_open(p, "/broken", "/etc/shadow", false));
}

}  // namespace
}  // namespace ztai::enforce
