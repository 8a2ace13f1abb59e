#include "agent/kernel/enforcement_pins.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace ztai {
namespace {

TEST(EnforcementPins, DirectoryNamesCarryTheLayoutVersion) {
  EXPECT_EQ(policy_pin_dir_name(1), "policy-v1");
  EXPECT_EQ(policy_pin_dir_name(42), "policy-v42");
  EXPECT_EQ(policy_pin_dir_version("policy-v1"), 1u);
  EXPECT_EQ(policy_pin_dir_version("policy-v42"), 42u);
  EXPECT_EQ(policy_pin_dir_version("policy-v7-retired-1234"), 7u);
  for (const char* other : {"policy-v", "policy-vx", "policy-v1x", "policy-v1-retired-", "policy-v1-old", "policy",
                            "ztai_quarantine", "links", "", "xpolicy-v1"}) {
    EXPECT_FALSE(policy_pin_dir_version(other)) << other;
  }
}

TEST(EnforcementPins, PersistAdoptsItsOwnVersionAndRemovesTheOthers) {
  PinPlan p = plan_pins({"policy-v1", "policy-v2", "policy-v3", "policy-v2-retired-77", "something-else"}, 2, true);
  EXPECT_TRUE(p.adopt);
  EXPECT_EQ(p.stale, (std::vector<std::string>{"policy-v1", "policy-v3", "policy-v2-retired-77"}));
}

TEST(EnforcementPins, PersistWithoutItsVersionAdoptsNothing) {
  PinPlan p = plan_pins({"policy-v1"}, 2, true);
  EXPECT_FALSE(p.adopt);
  EXPECT_EQ(p.stale, std::vector<std::string>{"policy-v1"});
  PinPlan empty = plan_pins({}, 2, true);
  EXPECT_FALSE(empty.adopt);
  EXPECT_TRUE(empty.stale.empty());
}

TEST(EnforcementPins, WithoutPersistEveryPinnedVersionIsRemovedAndOthersAreLeftAlone) {
  PinPlan p = plan_pins({"policy-v2", "policy-v1", "their-maps"}, 2, false);
  EXPECT_FALSE(p.adopt);
  EXPECT_EQ(p.stale, (std::vector<std::string>{"policy-v2", "policy-v1"}));
}

TEST(EnforcementPins, PersistRefusesARootOutsideABpfFilesystem) {
  char tmpl[] = "/tmp/ztai-pins-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = std::string(tmpl) + "/ztai";
  auto pins = EnforcementPins::open({true, root}, 1);
  ASSERT_FALSE(pins);
  EXPECT_NE(pins.error().message().find("enforcement.pin_root: " + root + " is not in a bpf filesystem"),
            std::string::npos)
      << pins.error().message();
  EXPECT_NE(rmdir(tmpl), -1) << "nothing was created in it";
}

TEST(EnforcementPins, WithoutPersistAMissingRootIsNothingToDo) {
  auto pins = EnforcementPins::open({false, "/nonexistent/ztai"}, 1);
  ASSERT_TRUE(pins) << pins.error().message();
  EXPECT_FALSE((*pins)->persist());
  EXPECT_FALSE((*pins)->adopting());
  EXPECT_EQ((*pins)->map_path("ztai_quarantine"), "/nonexistent/ztai/policy-v1/ztai_quarantine");
  EXPECT_TRUE((*pins)->finish());
}

}  // namespace
}  // namespace ztai
