// From a plan and resolved files to the kernel tables: flags per workload, deny over allow,
// unix paths checked; and resolution of exec rules to inodes with symlinks, directories and
// sha256 pins.
#include "agent/enforce/exec_files.h"
#include "agent/enforce/guard_plan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace ztai::enforce {
namespace {

namespace fs = std::filesystem;

ProcessPolicy policy() {
  ProcessPolicy p;
  p.policy_id = 4;
  p.name = "model-server";
  p.exec = true;
  p.exec_default_deny = true;
  p.exec_default_rule_id = 100;
  p.exec_rules.push_back({1, "exec.allow[0]", {PathPattern::Kind::kExact, "/usr/bin/python3"}, "", false});
  p.exec_rules.push_back({2, "exec.deny[0]", {PathPattern::Kind::kExact, "/usr/bin/python3"}, "", true});
  p.exec_rules.push_back({3, "exec.allow[1]", {PathPattern::Kind::kExact, "/bin/true"}, "", false});
  p.io_uring_deny = true;
  p.io_uring_rule_id = 101;
  p.unix_deny.push_back({5, "unix.deny[0]", "/var/run/docker.sock"});
  return p;
}

TEST(GuardPlan, TablesCarryFlagsRulesAndPaths) {
  GuardPlan plan;
  plan.policies.push_back(policy());
  plan.targets.push_back({77, "/sys/fs/cgroup/x", 0});
  ResolvedExecFiles files;
  files[{0, 0}] = {{8, 1000}};
  files[{0, 1}] = {{8, 1000}};
  files[{0, 2}] = {{8, 2000}};
  auto t = build_guard_tables(plan, files);
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->workloads.count(77), 1u);
  const GuardWorkload& w = t->workloads.at(77);
  EXPECT_EQ(w.flags, static_cast<uint32_t>(ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY | ZTAI_GUARD_IO_URING_DENY |
                                           ZTAI_GUARD_UNIX));
  EXPECT_EQ(w.policy_id, 4u);
  EXPECT_EQ(w.exec_default_rule_id, 100u);
  EXPECT_EQ(w.io_uring_rule_id, 101u);
  EXPECT_EQ(w.cgroup_path, "/sys/fs/cgroup/x");
  GuardEntry python = t->exec_files.at({4, 8, 1000});
  EXPECT_EQ(python.verdict, static_cast<uint32_t>(ZTAI_GUARD_DENY)) << "deny wins over allow";
  EXPECT_EQ(python.rule_id, 2u);
  EXPECT_EQ(t->exec_files.at({4, 8, 2000}), (GuardEntry{ZTAI_GUARD_ALLOW, 3}));
  EXPECT_EQ(t->unix_paths.at({4, "/var/run/docker.sock"}).rule_id, 5u);
}

TEST(GuardPlan, AuditAndEmptyPolicies) {
  GuardPlan plan;
  ProcessPolicy audited = policy();
  audited.audit = true;
  ProcessPolicy nothing;
  nothing.policy_id = 9;
  plan.policies = {audited, nothing};
  plan.targets = {{1, "/a", 0}, {2, "/b", 1}, {3, "/c", 7}};
  auto t = build_guard_tables(plan, {});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->workloads.at(1).flags & ZTAI_GUARD_AUDIT);
  ASSERT_EQ(t->workloads.count(2), 1u) << "so that an ancestor's policy does not apply below it";
  EXPECT_EQ(t->workloads.at(2).flags, 0u);
  EXPECT_EQ(t->workloads.count(3), 0u) << "a target naming no policy is skipped";
}

TEST(GuardPlan, UnixPathsConnectCannotNameAreRefused) {
  for (const std::string& bad : std::vector<std::string>{"relative.sock", "", "/" + std::string(120, 'a')}) {
    GuardPlan plan;
    ProcessPolicy p = policy();
    p.unix_deny = {{6, "unix.deny[1]", bad}};
    plan.policies.push_back(p);
    auto t = build_guard_tables(plan, {});
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().message().find("unix.deny[1]"), std::string::npos);
  }
}

class ExecFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ztai-exec-files-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "bin" / "sub");
    std::ofstream(dir_ / "bin" / "tool") << "abc";  // sha256 below
    std::ofstream(dir_ / "bin" / "sub" / "other") << "x";
    fs::create_symlink(dir_ / "bin" / "tool", dir_ / "link");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::pair<uint32_t, uint64_t> id(const fs::path& p) {
    struct stat sb;
    EXPECT_EQ(stat(p.c_str(), &sb), 0);
    return {kernel_dev(sb.st_dev), sb.st_ino};
  }

  GuardPlan plan_with(std::vector<ExecRule> rules) {
    GuardPlan plan;
    ProcessPolicy p;
    p.name = "p";
    p.exec = true;
    p.exec_rules = std::move(rules);
    plan.policies.push_back(p);
    return plan;
  }

  fs::path dir_;
};

const std::pair<size_t, size_t> kFirst{0, 0}, kSecond{0, 1};
constexpr const char* kAbcSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST_F(ExecFilesTest, SymlinksResolveToTheirTargetAndDirectoriesToEveryFileBelow) {
  auto r = resolve_exec_files(plan_with({{1, "a", {PathPattern::Kind::kExact, (dir_ / "link").string()}, "", false},
                                         {2, "b", {PathPattern::Kind::kPrefix, (dir_ / "bin").string() + "/"}, "", false}}));
  EXPECT_EQ(r.files[kFirst], (std::vector<std::pair<uint32_t, uint64_t>>{id(dir_ / "bin" / "tool")}));
  auto below = r.files[kSecond];
  std::sort(below.begin(), below.end());
  auto want = std::vector<std::pair<uint32_t, uint64_t>>{id(dir_ / "bin" / "tool"), id(dir_ / "bin" / "sub" / "other")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(below, want);
  EXPECT_TRUE(r.watch_dirs.count(dir_.string())) << "the link's directory";
  EXPECT_TRUE(r.watch_dirs.count((dir_ / "bin").string())) << "the target's directory";
  EXPECT_TRUE(r.watch_dirs.count((dir_ / "bin" / "sub").string()));
  EXPECT_TRUE(r.notes.empty());
}

TEST_F(ExecFilesTest, APinnedFileResolvesOnlyWithItsContent) {
  ExecRule pinned{1, "exec.allow[0]", {PathPattern::Kind::kExact, (dir_ / "bin" / "tool").string()}, kAbcSha, false};
  auto r = resolve_exec_files(plan_with({pinned}));
  EXPECT_EQ(r.files[kFirst].size(), 1u);

  std::ofstream(dir_ / "bin" / "tool") << "changed";
  r = resolve_exec_files(plan_with({pinned}));
  EXPECT_TRUE(r.files[kFirst].empty()) << "changed content is not allowed";
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("not the pinned"), std::string::npos) << r.notes[0];
}

TEST_F(ExecFilesTest, MissingFilesAndSuffixRulesAreNoted) {
  auto r = resolve_exec_files(plan_with({{1, "exec.allow[0]", {PathPattern::Kind::kExact, (dir_ / "nope").string()}, "", false},
                                         {2, "exec.allow[1]", {PathPattern::Kind::kSuffix, ".py"}, "", false}}));
  EXPECT_TRUE(r.files[kFirst].empty());
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("exec.allow[0]"), std::string::npos);
  EXPECT_NE(r.notes[1].find("exec.allow[1]"), std::string::npos);
  EXPECT_TRUE(r.watch_dirs.count(dir_.string())) << "the file may appear later";
}

TEST_F(ExecFilesTest, TheFileLimitIsNotedOnce) {
  ExecResolveLimits limits;
  limits.max_files = 1;
  auto r = resolve_exec_files(plan_with({{2, "b", {PathPattern::Kind::kPrefix, (dir_ / "bin").string() + "/"}, "", false}}),
                              limits);
  EXPECT_EQ(r.files[kFirst].size(), 1u);
  ASSERT_EQ(r.notes.size(), 1u);
}

}  // namespace
}  // namespace ztai::enforce
