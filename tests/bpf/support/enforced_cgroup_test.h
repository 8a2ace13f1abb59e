// The fixture of the network enforcement kernel tests: the agent's programs loaded, a cgroup of the
// test's own (never the root) with the egress and segmentation programs attached to it, and a
// NetworkEnforcer writing the policy maps. Everything goes at the end, also after a failure: the
// maps are cleared, the programs detached, then the cgroup removed.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/policy/selector.h"
#include "agent/policy/workload_policy.h"
#include "tests/support/event_collector.h"
#include "tests/support/test_cgroup.h"

namespace ztai::testing {

class EnforcedCgroupTest : public ::testing::Test {
 protected:
  // Loads, creates the cgroup ztai-test-<tag>-<pid> and attaches; skips (fails under
  // ZTAI_REQUIRE_BPF=1) where the programs, required_families or the policy maps cannot load.
  // For SetUp.
  void attach_to_test_cgroup(const std::string& tag, const std::vector<std::string>& required_families = {});
  void TearDown() override;

  // The test cgroup's path below the cgroup2 mount, as policy selectors name it.
  std::string selector_path() const;
  // Parses policy YAML (file_name for its errors), checks it as a set and applies it to the
  // cgroups its selectors match now, with what add_targets adds (what no selector names).
  void apply_policies(const std::string& yaml, const std::string& file_name,
                      const std::function<void(policy::PolicyTargets&)>& add_targets = {});
  // Forks fn into the test cgroup (or its child cgroup `child`); fn's exit code, -1 when it did
  // not exit. The child is last_child_.
  int exit_code_in_cgroup(const std::function<int()>& fn, const std::string& child = "");
  // The denial record of pid's connect or sendmsg to port, waiting for it up to 5 s.
  std::optional<NetDenialPayload> denial_of(pid_t pid, uint16_t port);

  std::unique_ptr<EventCollector> collector_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<enforce::CgroupAttachment> attachment_;  // detached before the cgroup goes
  std::optional<enforce::NetworkEnforcer> enforcer_;
  enforce::EgressMapFds map_fds_;
  std::vector<policy::WorkloadPolicy> policies_;
  std::string mount_;
  pid_t last_child_ = 0;
};

}  // namespace ztai::testing
