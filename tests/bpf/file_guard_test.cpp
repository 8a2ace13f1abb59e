// Protected files through fanotify, with processes the test forks into a cgroup it creates: a
// protected file's open (and `cat` of it) gets EPERM while other files read fine and the test's
// own process, outside the workload, reads it too; a renamed protected file stays protected, a
// file written over the protected path is protected again, new files and directories of a
// protected tree are covered, exec rules refuse execve only, and audit mode reports without
// refusing. Every refusal is reported with its policy, rule, workload and process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "agent/common/mounts.h"
#include "agent/enforce/file_guard.h"
#include "tests/support/kernel_test.h"
#include "tests/support/test_cgroup.h"

namespace ztai::enforce {
namespace {

namespace fs = std::filesystem;
using ztai::testing::TestCgroup;

constexpr int kOpened = 0, kRefused = 1, kOtherError = 2;

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

class FileGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(geteuid() == 0 ? Status() : make_error(ErrorCode::kPermission, "fanotify tests run as root"));
    auto mounts = read_mounts();
    ASSERT_TRUE(mounts);
    auto cg2 = find_mount(*mounts, "cgroup2");
    ASSERT_TRUE(cg2) << "no cgroup2 mount";
    mount_ = *cg2;
    FileGuardSettings settings;
    settings.cgroup2_mount = mount_;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    auto g = FileGuard::start(settings, [this](Event e) {
      std::lock_guard lock(mutex_);
      denials_.push_back(std::move(e));
    });
    ZTAI_KERNEL_PREREQ(g ? Status() : Status(g.error()));
    guard_ = std::move(*g);
    auto cg = TestCgroup::create("file-guard");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    dir_ = fs::temp_directory_path() / ("ztai-file-guard-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "keys");
    write_file(dir_ / "secret", "top secret\n");
    write_file(dir_ / "public", "hello\n");
    write_file(dir_ / "keys" / "a.pem", "key\n");
  }
  void TearDown() override {
    guard_.reset();  // unmarks everything before the files go
    cgroup_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  FileGuardPlan plan(bool audit = false) const {
    FileGuardPlan p;
    FilePolicy pol{3, "model-server", audit, {}};
    pol.deny.push_back({0, "files.deny[0]", {PathPattern::Kind::kExact, (dir_ / "secret").string()}, kFileRead});
    pol.deny.push_back({1, "files.deny[1]", {PathPattern::Kind::kPrefix, (dir_ / "keys").string() + "/"},
                        kFileRead | kFileWrite});
    pol.deny.push_back({2, "files.deny[2]", {PathPattern::Kind::kExact, (dir_ / "tool").string()}, kFileExec});
    p.policies.push_back(pol);
    p.workloads[cgroup_->path().substr(mount_.size())] = 0;
    return p;
  }

  // Opens path for reading in a child in the workload: kOpened, kRefused (EPERM) or kOtherError.
  int open_in_workload(const fs::path& path, int flags = O_RDONLY) {
    pid_t pid = cgroup_->fork_into([&] {
      int fd = open(path.c_str(), flags | O_CLOEXEC);
      if (fd >= 0) return kOpened;
      return errno == EPERM ? kRefused : kOtherError;
    });
    int st = TestCgroup::wait(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  // Retries while inotify brings the marks up to date.
  int eventually_refused(const fs::path& path) {
    int r = kOpened;
    for (int i = 0; i < 100 && (r = open_in_workload(path)) == kOpened; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return r;
  }

  std::optional<Event> denial_for(const fs::path& path) {
    std::lock_guard lock(mutex_);
    for (const Event& e : denials_) {
      const auto* d = e.as<GuardDenialPayload>();
      if (d && d->path == path.string()) return e;
    }
    return std::nullopt;
  }

  std::string mount_;
  std::unique_ptr<FileGuard> guard_;
  std::unique_ptr<TestCgroup> cgroup_;
  fs::path dir_;
  std::mutex mutex_;
  std::vector<Event> denials_;
};

TEST_F(FileGuardTest, AProtectedFileIsRefusedToTheWorkloadOnly) {
  ASSERT_TRUE(guard_->apply(plan()));
  EXPECT_EQ(open_in_workload(dir_ / "secret"), kRefused);
  EXPECT_EQ(open_in_workload(dir_ / "secret", O_WRONLY), kRefused) << "a write open is refused too";
  EXPECT_EQ(open_in_workload(dir_ / "public"), kOpened);
  std::ifstream own(dir_ / "secret");
  std::string line;
  EXPECT_TRUE(std::getline(own, line)) << "the test is outside the workload";

  std::optional<Event> e = denial_for(dir_ / "secret");
  ASSERT_TRUE(e) << "no denial reported";
  const auto* d = e->as<GuardDenialPayload>();
  EXPECT_EQ(e->hdr.type, EventType::kGuardDenial);
  EXPECT_EQ(d->kind, DenialKind::kFileOpen);
  EXPECT_EQ(d->policy_name, "model-server");
  EXPECT_EQ(d->rule_name, "files.deny[0]");
  EXPECT_EQ(d->policy_id, 3u);
  EXPECT_EQ(d->workload_cgroup_id, cgroup_->id());
  EXPECT_EQ(e->hdr.cgroup_id, cgroup_->id());
  EXPECT_EQ(d->access, "open");
  EXPECT_FALSE(d->audit);
  EXPECT_NE(e->hdr.proc.tgid, static_cast<uint32_t>(getpid()));
  EXPECT_GT(e->hdr.proc.start_ticks, 0u);
  EXPECT_GE(guard_->stats().denied.load(), 2u);
}

TEST_F(FileGuardTest, CatOfAProtectedFileFailsWithEperm) {
  ASSERT_TRUE(guard_->apply(plan()));
  int err[2];
  ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
  std::string secret = (dir_ / "secret").string();
  pid_t pid = cgroup_->fork_into([&] {
    dup2(err[1], STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execl("/bin/cat", "cat", secret.c_str(), static_cast<char*>(nullptr));
    return 127;
  });
  close(err[1]);
  std::string said;
  char buf[512];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof(buf))) > 0) said.append(buf, static_cast<size_t>(n));
  close(err[0]);
  int st = TestCgroup::wait(pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) << "status " << st;
  EXPECT_NE(said.find("Operation not permitted"), std::string::npos) << said;
}

TEST_F(FileGuardTest, RenamedAndReplacedFilesStayProtected) {
  ASSERT_TRUE(guard_->apply(plan()));
  fs::rename(dir_ / "secret", dir_ / "moved");
  EXPECT_EQ(open_in_workload(dir_ / "moved"), kRefused) << "the mark follows the inode";

  // A new file at the protected path is another inode: marked once inotify reports it.
  write_file(dir_ / "secret.new", "new secret\n");
  fs::rename(dir_ / "secret.new", dir_ / "secret");
  EXPECT_EQ(eventually_refused(dir_ / "secret"), kRefused);
  EXPECT_EQ(open_in_workload(dir_ / "moved"), kRefused) << "the renamed file stays protected after the re-mark";

  // A new plan starts from the paths it names: the renamed file is free again.
  ASSERT_TRUE(guard_->apply(plan()));
  EXPECT_EQ(open_in_workload(dir_ / "moved"), kOpened);
}

TEST_F(FileGuardTest, AProtectedTreeCoversNewFilesAndDirectories) {
  ASSERT_TRUE(guard_->apply(plan()));
  EXPECT_EQ(open_in_workload(dir_ / "keys" / "a.pem"), kRefused);
  write_file(dir_ / "keys" / "b.pem", "key\n");
  EXPECT_EQ(open_in_workload(dir_ / "keys" / "b.pem"), kRefused) << "the directory's mark covers new files";
  fs::create_directories(dir_ / "keys" / "sub");
  write_file(dir_ / "keys" / "sub" / "c.pem", "key\n");
  EXPECT_EQ(eventually_refused(dir_ / "keys" / "sub" / "c.pem"), kRefused);
}

TEST_F(FileGuardTest, ExecRulesRefuseExecutionButNotReading) {
  fs::copy_file("/bin/true", dir_ / "tool");
  ASSERT_TRUE(guard_->apply(plan()));
  EXPECT_EQ(open_in_workload(dir_ / "tool"), kOpened);
  std::string tool = (dir_ / "tool").string();
  pid_t pid = cgroup_->fork_into([&] {
    execl(tool.c_str(), "tool", static_cast<char*>(nullptr));
    return errno == EPERM ? 100 : 101;
  });
  int st = TestCgroup::wait(pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 100) << "status " << st;
  std::optional<Event> e = denial_for(dir_ / "tool");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->as<GuardDenialPayload>()->access, "exec");
}

TEST_F(FileGuardTest, AuditModeReportsAndRefusesNothing) {
  ASSERT_TRUE(guard_->apply(plan(/*audit=*/true)));
  EXPECT_EQ(open_in_workload(dir_ / "secret"), kOpened);
  std::optional<Event> e = denial_for(dir_ / "secret");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->as<GuardDenialPayload>()->audit);
  EXPECT_EQ(guard_->stats().denied.load(), 0u);
}

TEST_F(FileGuardTest, SuffixPatternsAreRefusedWithTheRuleNamed) {
  FileGuardPlan p = plan();
  p.policies[0].deny.push_back({9, "files.deny[3]", {PathPattern::Kind::kSuffix, ".pem"}, kFileRead});
  Status s = guard_->apply(p);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("files.deny[3]"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace ztai::enforce
