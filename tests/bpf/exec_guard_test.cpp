// Loads the real enforcement programs, guards a cgroup the test creates, and runs children of the
// test in it: an allowed binary runs, a denied one dies by SIGKILL before it runs an instruction
// (its output and the marker file it would write stay absent), a renamed denied binary is still
// caught by inode, a cgroup below the guarded one is covered, audit mode lets the exec run and
// reports it, io_uring_setup kills the caller, and a unix connect to a listed path gets EPERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <thread>

#include "agent/enforce/process_guard.h"
#include "agent/identity/exe_hasher.h"
#include "agent/kernel/guard_maps.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

namespace fs = std::filesystem;
using testing::EventCollector;
using testing::TestCgroup;

constexpr uint32_t kPolicy = 41;
constexpr uint32_t kDefaultRule = 7;
constexpr uint32_t kIoUringRule = 8;

GuardFileKey file_key(const std::string& path) {
  struct stat sb {};
  EXPECT_EQ(stat(path.c_str(), &sb), 0) << path;
  return {kPolicy, kernel_dev(sb.st_dev), sb.st_ino};
}

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

// Execs argv with stdout into a pipe, in cg (or, without one, in the test's own cgroup);
// returns the wait status and what the program printed.
std::pair<int, std::string> run_in(const TestCgroup* cg, std::vector<std::string> argv, const std::string& child = "") {
  int out[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  auto body = [&] {
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    return 127;
  };
  pid_t pid = cg ? cg->fork_into(body, child) : fork();
  if (pid == 0) _exit(body());
  close(out[1]);
  std::string printed;
  char buf[256];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0) printed.append(buf, static_cast<size_t>(n));
  close(out[0]);
  return {TestCgroup::wait(pid), printed};
}

class ExecGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    auto c = EventCollector::start_with_prerequisites(settings, {"guard"});
    ZTAI_KERNEL_PREREQ(c ? Status() : Status(c.error()));
    collector_ = std::move(*c);
    auto cg = TestCgroup::create("exec-guard");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    maps_ = collector_->programs().guard_maps();
    dir_ = fs::temp_directory_path() / ("ztai-exec-guard-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    // The maps go with the programs; the cgroup is removed after its children were reaped.
    maps_.reset();
    collector_.reset();
    cgroup_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  GuardWorkload workload(uint32_t flags) const {
    GuardWorkload w;
    w.policy_id = kPolicy;
    w.flags = flags;
    w.exec_default_rule_id = kDefaultRule;
    w.io_uring_rule_id = kIoUringRule;
    w.cgroup_path = cgroup_->path();
    return w;
  }

  const GuardDenialPayload* wait_denial(DenialKind kind, const std::string& path, uint32_t tgid = 0) {
    const Event* e = collector_->wait_for([&](const Event& e) {
      const GuardDenialPayload* d = e.as<GuardDenialPayload>();
      return d && d->kind == kind && d->path == path && (tgid == 0 || e.hdr.proc.tgid == tgid);
    });
    return e ? e->as<GuardDenialPayload>() : nullptr;
  }

  std::unique_ptr<EventCollector> collector_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<GuardMaps> maps_;
  fs::path dir_;
};

TEST_F(ExecGuardTest, AllowlistRunsTrueAndKillsIdBeforeItPrints) {
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY);
  t.exec_files[file_key("/bin/true")] = {ZTAI_GUARD_ALLOW, 3};
  ASSERT_TRUE(maps_->apply(t));

  auto [ok_status, ok_out] = run_in(cgroup_.get(), {"/bin/true"});
  EXPECT_TRUE(WIFEXITED(ok_status) && WEXITSTATUS(ok_status) == 0) << "status " << ok_status;

  auto [id_status, id_out] = run_in(cgroup_.get(), {"/usr/bin/id"});
  EXPECT_TRUE(killed(id_status)) << "status " << id_status;
  EXPECT_EQ(id_out, "") << "id printed before it was killed";

  std::string marker = (dir_ / "marker").string();
  auto [sh_status, sh_out] = run_in(cgroup_.get(), {"/bin/sh", "-c", "echo ran > " + marker});
  EXPECT_TRUE(killed(sh_status)) << "status " << sh_status;
  EXPECT_FALSE(fs::exists(marker)) << "the denied shell ran";

  const GuardDenialPayload* d = wait_denial(DenialKind::kExec, "/usr/bin/id");
  ASSERT_NE(d, nullptr) << "no denial record for /usr/bin/id";
  GuardFileKey id_key = file_key("/usr/bin/id");
  EXPECT_EQ(d->ino, id_key.ino);
  EXPECT_EQ(d->dev, id_key.dev);
  EXPECT_EQ(d->policy_id, kPolicy);
  EXPECT_EQ(d->rule_id, kDefaultRule);
  EXPECT_EQ(d->workload_cgroup_id, cgroup_->id());
  EXPECT_FALSE(d->audit);
  EXPECT_FALSE(d->kill_failed);

  // The test itself is outside the guarded cgroup: nothing is denied to it.
  auto [outside, out] = run_in(nullptr, {"/usr/bin/id", "-u"});
  EXPECT_TRUE(WIFEXITED(outside) && WEXITSTATUS(outside) == 0);
}

TEST_F(ExecGuardTest, DenylistCatchesARenamedBinaryByInodeButNotACopy) {
  fs::path denied = dir_ / "tool";
  fs::copy_file("/usr/bin/id", denied);
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_EXEC);
  t.exec_files[file_key(denied.string())] = {ZTAI_GUARD_DENY, 5};
  ASSERT_TRUE(maps_->apply(t));

  fs::path renamed = dir_ / "harmless";
  fs::rename(denied, renamed);
  auto [st, out] = run_in(cgroup_.get(), {renamed.string()});
  EXPECT_TRUE(killed(st)) << "a rename keeps the inode: status " << st;
  EXPECT_EQ(out, "");
  const GuardDenialPayload* d = wait_denial(DenialKind::kExec, renamed.string());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->rule_id, 5u);

  // A copy is another inode: a denylist by path does not know it (an allowlist does, below).
  fs::path copy = dir_ / "copy";
  fs::copy_file(renamed, copy);
  auto [cst, cout] = run_in(cgroup_.get(), {copy.string()});
  EXPECT_TRUE(WIFEXITED(cst) && WEXITSTATUS(cst) == 0) << "status " << cst;

  // Under default deny the same copy is unknown, hence denied.
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY);
  ASSERT_TRUE(maps_->apply(t));
  auto [dst, dout] = run_in(cgroup_.get(), {copy.string()});
  EXPECT_TRUE(killed(dst)) << "status " << dst;
}

TEST_F(ExecGuardTest, ACgroupBelowTheGuardedOneIsCovered) {
  auto child = cgroup_->create_child("inner");
  ASSERT_TRUE(child) << child.error().message();
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY);
  ASSERT_TRUE(maps_->apply(t));
  auto [st, out] = run_in(cgroup_.get(), {"/usr/bin/id"}, "inner");
  EXPECT_TRUE(killed(st)) << "status " << st;
  const GuardDenialPayload* d = wait_denial(DenialKind::kExec, "/usr/bin/id");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->workload_cgroup_id, cgroup_->id());
}

TEST_F(ExecGuardTest, AuditModeRunsTheBinaryAndReportsIt) {
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_EXEC | ZTAI_GUARD_EXEC_DEFAULT_DENY | ZTAI_GUARD_AUDIT);
  ASSERT_TRUE(maps_->apply(t));
  auto [st, out] = run_in(cgroup_.get(), {"/usr/bin/id", "-u"});
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
  EXPECT_EQ(out, "0\n");
  const GuardDenialPayload* d = wait_denial(DenialKind::kExec, "/usr/bin/id");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->audit);
}

TEST_F(ExecGuardTest, IoUringSetupKillsTheCaller) {
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_IO_URING_DENY);
  ASSERT_TRUE(maps_->apply(t));
  std::string marker = (dir_ / "after-setup").string();
  pid_t pid = cgroup_->fork_into([&] {
    io_uring_params params{};
    syscall(__NR_io_uring_setup, 4, &params);
    int fd = open(marker.c_str(), O_CREAT | O_WRONLY, 0600);
    return fd >= 0 ? 0 : 1;
  });
  int st = TestCgroup::wait(pid);
  EXPECT_TRUE(killed(st)) << "status " << st;
  EXPECT_FALSE(fs::exists(marker)) << "the caller returned from io_uring_setup";
  const GuardDenialPayload* d = wait_denial(DenialKind::kIoUring, "", static_cast<uint32_t>(pid));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->rule_id, kIoUringRule);
  EXPECT_EQ(d->workload_cgroup_id, cgroup_->id());
}

std::string sha256_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  uint64_t bytes = 0;
  std::string sha = sha256_of(fd, bytes);
  close(fd);
  return sha;
}

TEST_F(ExecGuardTest, AnAllowedPathIsFollowedWhenItsFileIsReplaced) {
  fs::path tool = dir_ / "tool";
  fs::copy_file("/bin/true", tool);
  auto guard = enforce::ProcessGuard::start(collector_->programs().guard_maps());
  ASSERT_TRUE(guard) << guard.error().message();
  enforce::GuardPlan plan;
  enforce::ProcessPolicy p;
  p.policy_id = kPolicy;
  p.name = "model-server";
  p.exec = true;
  p.exec_default_deny = true;
  p.exec_rules.push_back({3, "exec.allow[0]", {PathPattern::Kind::kExact, tool.string()}, "", false});
  plan.policies.push_back(p);
  plan.targets.push_back({cgroup_->id(), cgroup_->path(), 0});
  ASSERT_TRUE((*guard)->apply(plan));
  auto [st, out] = run_in(cgroup_.get(), {tool.string()});
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;

  // An upgrade: a new file renamed over the allowed path is a new inode, allowed once inotify
  // has reported it; the old inode is no longer allowed.
  fs::copy_file("/bin/false", dir_ / "tool.new");
  fs::rename(dir_ / "tool.new", tool);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    status = run_in(cgroup_.get(), {tool.string()}).first;
    if (!killed(status)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "the replaced file runs: status " << status;
  EXPECT_GE((*guard)->resolutions(), 2u);

  // Pinned to /bin/true's content, the file (now /bin/false's) is not allowed.
  plan.policies[0].exec_rules[0].sha256 = sha256_file("/bin/true");
  ASSERT_TRUE((*guard)->apply(plan));
  EXPECT_TRUE(killed(run_in(cgroup_.get(), {tool.string()}).first));
  ASSERT_EQ((*guard)->notes().size(), 1u);
  EXPECT_NE((*guard)->notes()[0].find("not the pinned"), std::string::npos) << (*guard)->notes()[0];
  plan.policies[0].exec_rules[0].sha256 = sha256_file("/bin/false");
  ASSERT_TRUE((*guard)->apply(plan));
  EXPECT_FALSE(killed(run_in(cgroup_.get(), {tool.string()}).first)) << "the matching pin allows it";
}

int listen_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  EXPECT_EQ(listen(fd, 8), 0);
  return fd;
}

// 0 when connected, errno otherwise.
int connect_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ? 0 : errno;
  close(fd);
  return r;
}

TEST_F(ExecGuardTest, UnixConnectToAListedSocketIsRefused) {
  ZTAI_KERNEL_PREREQ(maps_->unix_enforced()
                         ? Status()
                         : make_error(ErrorCode::kUnsupported, "unix socket rules are not enforced on this kernel"));
  std::string denied = (dir_ / "docker.sock").string(), other = (dir_ / "other.sock").string();
  int l1 = listen_unix(denied), l2 = listen_unix(other);
  GuardTables t;
  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_UNIX);
  t.unix_paths[{kPolicy, denied}] = {ZTAI_GUARD_DENY, 9};
  ASSERT_TRUE(maps_->apply(t));

  auto in_workload = [&](const std::string& path) {
    pid_t pid = cgroup_->fork_into([&] { return connect_unix(path); });
    int st = TestCgroup::wait(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  EXPECT_EQ(in_workload(denied), EPERM);
  EXPECT_EQ(in_workload(other), 0);
  EXPECT_EQ(connect_unix(denied), 0) << "the test is outside the workload";
  const GuardDenialPayload* d = wait_denial(DenialKind::kUnixConnect, denied);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->rule_id, 9u);
  EXPECT_FALSE(d->audit);

  t.workloads[cgroup_->id()] = workload(ZTAI_GUARD_UNIX | ZTAI_GUARD_AUDIT);
  ASSERT_TRUE(maps_->apply(t));
  EXPECT_EQ(in_workload(denied), 0) << "audit mode connects";
  EXPECT_NE(collector_->wait_for([&](const Event& e) {
    const GuardDenialPayload* a = e.as<GuardDenialPayload>();
    return a && a->kind == DenialKind::kUnixConnect && a->audit;
  }),
            nullptr);

  // Removing the workload detaches the hook.
  ASSERT_TRUE(maps_->apply(GuardTables{}));
  EXPECT_EQ(in_workload(denied), 0);
  close(l1);
  close(l2);
}

}  // namespace
}  // namespace ztai
