// Loads the real process programs, forks and execs a known binary with a known argv, and
// asserts every field of the fork, exec and exit records.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "agent/identity/procfs.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"

namespace ztai {
namespace {

using testing::EventCollector;

struct ChildReport {
  pid_t grandchild;
  uint64_t grandchild_ticks;
  uint64_t middle_ticks;
};

// The test forks a middle process (its own fork is not traced: the test is the "agent"), which
// forks a grandchild that waits for a go signal, then execs /bin/sh -c 'exit 7'.
ChildReport run_known_process_tree(pid_t& middle_out) {
  int go[2], report[2];
  EXPECT_EQ(pipe(go), 0);
  EXPECT_EQ(pipe(report), 0);
  pid_t middle = fork();
  if (middle == 0) {
    pid_t g = fork();
    if (g == 0) {
      char b;
      if (read(go[0], &b, 1) != 1) _exit(126);
      const char* argv[] = {"/bin/sh", "-c", "exit 7", "ztai-process-test", nullptr};
      execv("/bin/sh", const_cast<char* const*>(argv));
      _exit(127);
    }
    ChildReport r{g, 0, 0};
    auto gt = testing::proc_start_ticks(g);
    auto mt = testing::proc_start_ticks(getpid());
    r.grandchild_ticks = gt ? *gt : 0;
    r.middle_ticks = mt ? *mt : 0;
    if (write(report[1], &r, sizeof(r)) != sizeof(r)) _exit(125);
    if (write(go[1], "x", 1) != 1) _exit(124);
    int st = 0;
    waitpid(g, &st, 0);
    _exit(WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 1);
  }
  ChildReport r{};
  EXPECT_EQ(read(report[0], &r, sizeof(r)), static_cast<ssize_t>(sizeof(r)));
  int st = 0;
  EXPECT_EQ(waitpid(middle, &st, 0), middle);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "middle process status " << st;
  for (int fd : {go[0], go[1], report[0], report[1]}) close(fd);
  middle_out = middle;
  return r;
}

// Loads the process programs the way the agent does, with the test as the agent (its own events
// are filtered in the kernel), and waits for the records of one child.
class ProcessSensor : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    if (uint32_t bound = max_args_bytes()) settings.max_args_bytes = bound;
    auto c = EventCollector::start(settings);
    ZTAI_KERNEL_PREREQ(c ? Status() : Status(c.error()));
    collector_ = std::move(*c);
  }
  virtual uint32_t max_args_bytes() const { return 0; }  // 0: the default
  const Event* first_of(EventType type, pid_t child) {
    return collector_->wait_for(
        [&](const Event& e) { return e.hdr.type == type && e.hdr.proc.tgid == static_cast<uint32_t>(child); });
  }
  // Forks a child that execs /bin/true with these arguments after argv[0]; returns it reaped.
  static pid_t run_true(std::vector<std::string> args) {
    pid_t child = fork();
    if (child == 0) {
      std::vector<char*> argv{const_cast<char*>("/bin/true")};
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/bin/true", argv.data());
      _exit(127);
    }
    int st = 0;
    waitpid(child, &st, 0);
    return child;
  }
  std::unique_ptr<EventCollector> collector_;
};

class ProcessSensorShortArgs : public ProcessSensor {
 protected:
  uint32_t max_args_bytes() const override { return 64; }
};

TEST_F(ProcessSensor, ForkExecExitOfAKnownProcess) {
  auto cgroup = testing::own_cgroup_id();
  ASSERT_TRUE(cgroup) << cgroup.error().message();

  pid_t middle = 0;
  ChildReport r = run_known_process_tree(middle);
  ASSERT_GT(r.grandchild_ticks, 0u);
  const ProcKey middle_key{static_cast<uint32_t>(middle), r.middle_ticks};
  const ProcKey g_key{static_cast<uint32_t>(r.grandchild), r.grandchild_ticks};
  EventCollector& c = *collector_;

  const Event* fork = c.wait_for([&](const Event& e) {
    return e.hdr.type == EventType::kFork && e.as<ForkPayload>()->child.tgid == g_key.tgid;
  });
  ASSERT_NE(fork, nullptr) << "no fork event for the grandchild";
  EXPECT_EQ(fork->hdr.proc, middle_key) << "header is the forking process, keyed as /proc keys it";
  EXPECT_EQ(fork->hdr.tid, middle_key.tgid);
  EXPECT_EQ(fork->hdr.cgroup_id, *cgroup);
  EXPECT_EQ(fork->as<ForkPayload>()->child, g_key) << "child key = tgid + /proc/PID/stat field 22";
  EXPECT_EQ(fork->as<ForkPayload>()->parent, middle_key);
  EXPECT_EQ(fork->as<ForkPayload>()->child_tid, g_key.tgid);
  EXPECT_EQ(fork->as<ForkPayload>()->child_cgroup_id, *cgroup);

  const Event* exec = c.wait_for([&](const Event& e) { return e.hdr.type == EventType::kExec && e.hdr.proc == g_key; });
  ASSERT_NE(exec, nullptr) << "no exec event for the grandchild";
  const ExecPayload* x = exec->as<ExecPayload>();
  EXPECT_EQ(x->filename, "/bin/sh");
  EXPECT_EQ(x->argv, (std::vector<std::string>{"/bin/sh", "-c", "exit 7", "ztai-process-test"}));
  EXPECT_FALSE(x->args_truncated);
  EXPECT_FALSE(x->args_unreadable);
  EXPECT_EQ(x->parent, middle_key);
  EXPECT_EQ(x->uid, getuid());
  EXPECT_EQ(x->gid, getgid());
  EXPECT_EQ(x->euid, geteuid());
  EXPECT_EQ(x->egid, getegid());
  EXPECT_EQ(x->old_tid, g_key.tgid);
  EXPECT_EQ(exec->hdr.tid, g_key.tgid);
  EXPECT_EQ(exec->hdr.cgroup_id, *cgroup);
  struct stat sb;
  ASSERT_EQ(stat("/bin/sh", &sb), 0);
  EXPECT_EQ(x->exe_ino, sb.st_ino) << "the inode of the file executed (symlink followed)";
  EXPECT_EQ(x->exe_dev, (major(sb.st_dev) << 20) | minor(sb.st_dev));

  const Event* exit = c.wait_for([&](const Event& e) { return e.hdr.type == EventType::kExit && e.hdr.proc == g_key; });
  ASSERT_NE(exit, nullptr) << "no exit event for the grandchild";
  EXPECT_EQ(exit->as<ExitPayload>()->exit_code(), 7);
  EXPECT_EQ(exit->as<ExitPayload>()->signal(), 0);
  EXPECT_LE(fork->hdr.boot_ns, exec->hdr.boot_ns);
  EXPECT_LE(exec->hdr.boot_ns, exit->hdr.boot_ns);

  const Event* middle_exit =
      c.wait_for([&](const Event& e) { return e.hdr.type == EventType::kExit && e.hdr.proc == middle_key; });
  ASSERT_NE(middle_exit, nullptr);
  EXPECT_EQ(middle_exit->as<ExitPayload>()->exit_code(), 0);

  for (const Event& e : c.events()) {
    EXPECT_NE(e.hdr.proc.tgid, static_cast<uint32_t>(getpid())) << "the agent's own process is never traced";
  }
  EXPECT_EQ(c.decode_errors(), 0u);
  auto counters = c.programs().read_counters();
  ASSERT_TRUE(counters) << counters.error().message();
  EXPECT_EQ(counters->control_drops, 0u);
}

TEST_F(ProcessSensor, KillBySignalIsReportedAsTheSignal) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  kill(child, SIGKILL);
  int st = 0;
  waitpid(child, &st, 0);
  const Event* exit = first_of(EventType::kExit, child);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->as<ExitPayload>()->signal(), SIGKILL);
}

TEST_F(ProcessSensorShortArgs, LongArgvIsCutAtTheConfiguredBoundAndFlagged) {
  pid_t child = run_true({std::string(200, 'a')});
  const Event* exec = first_of(EventType::kExec, child);
  ASSERT_NE(exec, nullptr);
  const ExecPayload* x = exec->as<ExecPayload>();
  EXPECT_TRUE(x->args_truncated);
  ASSERT_EQ(x->argv.size(), 2u);
  EXPECT_EQ(x->argv[0], "/bin/true");
  EXPECT_EQ(x->argv[1], std::string(64 - sizeof("/bin/true"), 'a')) << "exactly 64 bytes of argv were kept";
}

uint32_t namespace_inode(const char* link) {
  struct stat sb;
  return stat(link, &sb) == 0 ? static_cast<uint32_t>(sb.st_ino) : 0;
}

// The child narrows its posture in every way the record reports, then execs: a new network
// namespace, no_new_privs, a seccomp filter and CAP_SYS_ADMIN dropped from the bounding set (so
// root's exec does not get it back).
TEST_F(ProcessSensor, ExecCarriesThePostureOfTheNewImage) {
  ASSERT_EQ(geteuid(), 0u) << "kernel tests run as root";

  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t child = fork();
  if (child == 0) {
    close(report[0]);
    sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    sock_fprog prog = {1, allow};
    if (unshare(CLONE_NEWNET) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) || prctl(PR_CAPBSET_DROP, 21 /* CAP_SYS_ADMIN */)) {
      _exit(126);
    }
    uint32_t net = namespace_inode("/proc/self/ns/net");
    if (write(report[1], &net, sizeof(net)) != sizeof(net)) _exit(125);
    const char* argv[] = {"/bin/true", nullptr};
    execv("/bin/true", const_cast<char* const*>(argv));
    _exit(127);
  }
  close(report[1]);
  uint32_t child_net = 0;
  ASSERT_EQ(read(report[0], &child_net, sizeof(child_net)), static_cast<ssize_t>(sizeof(child_net)));
  close(report[0]);
  int st = 0;
  waitpid(child, &st, 0);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "the child could not narrow its posture: " << st;

  const Event* exec = first_of(EventType::kExec, child);
  ASSERT_NE(exec, nullptr);
  const Posture& p = exec->as<ExecPayload>()->posture;
  constexpr uint64_t kSysAdmin = 1ull << 21, kChown = 1ull << 0;
  EXPECT_EQ(p.cap_bounding & kSysAdmin, 0u) << "dropped from the bounding set";
  EXPECT_NE(p.cap_bounding & kChown, 0u);
  EXPECT_EQ(p.cap_effective, p.cap_bounding) << "root's exec gets the whole bounding set";
  EXPECT_EQ(p.cap_permitted, p.cap_bounding);
  EXPECT_TRUE(p.no_new_privs);
  EXPECT_EQ(p.seccomp, 2) << "SECCOMP_MODE_FILTER";
  EXPECT_EQ(p.net_ns, child_net) << "the child's own network namespace";
  EXPECT_NE(p.net_ns, namespace_inode("/proc/self/ns/net"));
  EXPECT_EQ(p.pid_ns, namespace_inode("/proc/self/ns/pid")) << "pid and mount namespaces are the test's";
  EXPECT_EQ(p.mnt_ns, namespace_inode("/proc/self/ns/mnt"));
}

// The test process itself, as the exec of a plain child shows it: full capabilities, nothing
// narrowed.
TEST_F(ProcessSensor, PlainExecHasTheParentsPosture) {
  pid_t child = run_true({});
  const Event* exec = first_of(EventType::kExec, child);
  ASSERT_NE(exec, nullptr);
  const Posture& p = exec->as<ExecPayload>()->posture;
  Procfs procfs;
  auto self = procfs.read(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(self && self->posture) << "the test's own posture from /proc";
  EXPECT_EQ(p.cap_bounding, self->posture->cap_bounding) << "kernel and /proc agree";
  EXPECT_EQ(p.seccomp, self->posture->seccomp);
  EXPECT_EQ(p.no_new_privs, self->posture->no_new_privs);
  EXPECT_EQ(p.pid_ns, self->posture->pid_ns);
  EXPECT_EQ(p.net_ns, self->posture->net_ns);
  EXPECT_EQ(p.mnt_ns, self->posture->mnt_ns);
}

TEST_F(ProcessSensor, ExecFromASecondThreadIsTheSameProcess) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t child = fork();
  if (child == 0) {
    // A non-leader thread execs: the kernel makes it the leader and keeps the process's start time.
    std::thread t([&] {
      pid_t tid = gettid();
      if (write(report[1], &tid, sizeof(tid)) != sizeof(tid)) _exit(125);
      const char* argv[] = {"/bin/true", "from-thread", nullptr};
      execv("/bin/true", const_cast<char* const*>(argv));
      _exit(127);
    });
    t.join();
    _exit(126);
  }
  pid_t tid = 0;
  ASSERT_EQ(read(report[0], &tid, sizeof(tid)), static_cast<ssize_t>(sizeof(tid)));
  int st = 0;
  waitpid(child, &st, 0);
  close(report[0]);
  close(report[1]);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  const Event* exec = first_of(EventType::kExec, child);
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->as<ExecPayload>()->old_tid, static_cast<uint32_t>(tid));
  EXPECT_NE(tid, child);
  const Event* exit = first_of(EventType::kExit, child);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->hdr.proc, exec->hdr.proc) << "the process key survives a thread's exec";
}

}  // namespace
}  // namespace ztai
