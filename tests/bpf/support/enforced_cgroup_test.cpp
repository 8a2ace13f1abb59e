#include "tests/bpf/support/enforced_cgroup_test.h"

#include <sys/wait.h>

#include "agent/common/mounts.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/kernel_test.h"

namespace ztai::testing {

void EnforcedCgroupTest::attach_to_test_cgroup(const std::string& tag,
                                               const std::vector<std::string>& required_families) {
  auto c = EventCollector::start_with_prerequisites(LoaderSettings{}, required_families);
  ZTAI_KERNEL_PREREQ(c ? Status() : c.error());
  collector_ = std::move(*c);
  auto cg = TestCgroup::create(tag);
  ASSERT_TRUE(cg) << cg.error().message();
  cgroup_ = std::move(*cg);
  auto mounts = read_mounts();
  ASSERT_TRUE(mounts);
  mount_ = *find_mount(*mounts, "cgroup2");
  const BpfPrograms& p = collector_->programs();
  map_fds_ = enforce::egress_map_fds(p);
  ZTAI_KERNEL_PREREQ(map_fds_.valid() ? Status() : make_error(ErrorCode::kUnsupported, "egress maps not loaded"));
  auto att = enforce::CgroupAttachment::attach(enforce::egress_program_fds(p), cgroup_->path());
  ZTAI_KERNEL_PREREQ(att ? Status() : att.error());
  attachment_ = std::move(*att);
  enforcer_.emplace(enforce::EgressMaps(map_fds_));
}

void EnforcedCgroupTest::TearDown() {
  if (enforcer_) {
    EXPECT_TRUE(enforcer_->clear());
  }
}

std::string EnforcedCgroupTest::selector_path() const { return cgroup_->relative_path(); }

void EnforcedCgroupTest::apply_policies(const std::string& yaml, const std::string& file_name,
                                        const std::function<void(policy::PolicyTargets&)>& add_targets) {
  auto parsed = policy::parse_policy_text(yaml, file_name);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_TRUE(policy::check_policy_set(*parsed));
  policies_ = *parsed;
  auto cgroups = policy::scan_cgroups(mount_, nullptr);
  ASSERT_TRUE(cgroups) << cgroups.error().message();
  policy::PolicyTargets targets = policy::resolve_targets(policies_, *cgroups);
  if (add_targets) add_targets(targets);
  auto st = enforcer_->apply(policies_, targets, {});
  ASSERT_TRUE(st) << st.error().message();
}

int EnforcedCgroupTest::exit_code_in_cgroup(const std::function<int()>& fn, const std::string& child) {
  last_child_ = cgroup_->fork_into(fn, child);
  int status = TestCgroup::wait(last_child_);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<NetDenialPayload> EnforcedCgroupTest::denial_of(pid_t pid, uint16_t port) {
  const Event* e = collector_->wait_for([&](const Event& x) {
    const auto* d = x.as<NetDenialPayload>();
    return d && x.hdr.proc.tgid == static_cast<uint32_t>(pid) && d->dport == port;
  });
  if (!e) return std::nullopt;
  return *e->as<NetDenialPayload>();
}

}  // namespace ztai::testing
