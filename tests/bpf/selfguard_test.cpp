// Loads the agent's programs as the agent does and acts on them from other processes the test
// starts: a child opens one of the agent's maps by id and writes it, a child detaches a cgroup
// link of the agent's (on a cgroup the test creates), and a child signals, ptrace-seizes and
// reads the memory of a process standing in as the agent (another child, which ignores the
// signals it is sent). Each act is reported with the actor's pid; the agent's own writes and
// the signals that stop or end nothing are not.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "agent/kernel/self_guard.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

using testing::EventCollector;
using testing::TestCgroup;

// Runs fn in a child and returns the child's pid once it has exited with fn's result.
pid_t run_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid << " status " << status;
  return pid;
}

uint32_t object_id(int fd) {
  union {
    bpf_map_info map;
    bpf_link_info link;
  } info{};
  __u32 len = sizeof(info);
  EXPECT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0) << strerror(errno);
  return info.map.id;  // id is the first field of both
}

class SelfGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    auto c = EventCollector::start_with_prerequisites(settings, {"selfguard"});
    ZTAI_KERNEL_PREREQ(c ? Status() : Status(c.error()));
    collector_ = std::move(*c);
  }

  const SelfGuardPayload* wait_for(pid_t actor, SelfGuardAction action, uint32_t command = ~0u) {
    const Event* e = collector_->wait_for([&](const Event& ev) {
      const SelfGuardPayload* p = ev.as<SelfGuardPayload>();
      return p && ev.hdr.type == EventType::kSelfGuard && ev.hdr.proc.tgid == static_cast<uint32_t>(actor) &&
             p->action == action && (command == ~0u || p->command == command);
    });
    return e ? e->as<SelfGuardPayload>() : nullptr;
  }

  size_t events_by(pid_t actor) {
    collector_->drain();
    size_t n = 0;
    for (const Event& ev : collector_->events()) {
      if (ev.as<SelfGuardPayload>() && ev.hdr.proc.tgid == static_cast<uint32_t>(actor)) ++n;
    }
    return n;
  }

  std::unique_ptr<EventCollector> collector_;
};

TEST_F(SelfGuardTest, AnotherProcessOpeningAndWritingTheAgentsMapIsReported) {
  auto guard = SelfGuard::start(collector_->programs(), static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(guard) << guard.error().message();
  EXPECT_GT((*guard)->objects(), 10u);
  uint32_t map = object_id(collector_->programs().map_fd("net_skip"));

  pid_t actor = run_child([map] {
    int fd = bpf_map_get_fd_by_id(map);
    __u32 zero = 0, mask = 0;  // the value the agent wrote: the write changes nothing
    return fd >= 0 && bpf_map_update_elem(fd, &zero, &mask, BPF_ANY) == 0 ? 0 : 1;
  });

  const SelfGuardPayload* open = wait_for(actor, SelfGuardAction::kObjectOpen);
  ASSERT_NE(open, nullptr) << "no object_open by pid " << actor;
  EXPECT_EQ(open->object, SelfGuardObject::kMap);
  EXPECT_EQ(open->object_id, map);
  EXPECT_EQ(open->target_tgid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(selfguard_command_name(*open), "BPF_MAP_GET_FD_BY_ID");
  const SelfGuardPayload* write = wait_for(actor, SelfGuardAction::kMapWrite);
  ASSERT_NE(write, nullptr) << "no map_write by pid " << actor;
  EXPECT_EQ(write->object_id, map);
  EXPECT_EQ(selfguard_command_name(*write), "BPF_MAP_UPDATE_ELEM");
  SelfGuardPayload named = *write;
  (*guard)->name(named);
  EXPECT_EQ(selfguard_target(named), fmt::format("map net_skip (id {})", map));

  // The agent's own writes are its business.
  ASSERT_TRUE(collector_->programs().skip_net_events(0));
  EXPECT_EQ(events_by(getpid()), 0u);

  // A map that is not the agent's (made after the guard registered the agent's objects) is
  // anyone's to open and write.
  int other = bpf_map_create(BPF_MAP_TYPE_ARRAY, "not_agents", 4, 4, 1, nullptr);
  ASSERT_GE(other, 0) << strerror(errno);
  uint32_t other_id = object_id(other);
  pid_t bystander = run_child([other_id] {
    int fd = bpf_map_get_fd_by_id(other_id);
    __u32 zero = 0;
    return fd >= 0 && bpf_map_update_elem(fd, &zero, &zero, BPF_ANY) == 0 ? 0 : 1;
  });
  close(other);
  EXPECT_EQ(events_by(bystander), 0u);
}

TEST_F(SelfGuardTest, AnotherProcessDetachingTheAgentsLinkIsReportedAndTheCheckFindsIt) {
  int prog = collector_->programs().program_fd("egress_connect4");
  ZTAI_KERNEL_PREREQ(prog >= 0 ? Status() : Status(make_error(ErrorCode::kUnsupported, "no egress programs")));
  auto cg = TestCgroup::create("selfguard");
  ASSERT_TRUE(cg) << cg.error().message();
  int cg_fd = open((*cg)->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(cg_fd, 0);
  int link = bpf_link_create(prog, cg_fd, BPF_CGROUP_INET4_CONNECT, nullptr);
  close(cg_fd);
  ASSERT_GE(link, 0) << strerror(errno);
  uint32_t id = object_id(link);
  auto guard = SelfGuard::start(collector_->programs(), static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(guard) << guard.error().message();
  EXPECT_TRUE((*guard)->check().empty());

  pid_t actor = run_child([id] {
    int fd = bpf_link_get_fd_by_id(id);
    return fd >= 0 && bpf_link_detach(fd) == 0 ? 0 : 1;
  });

  const SelfGuardPayload* open = wait_for(actor, SelfGuardAction::kObjectOpen);
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->object, SelfGuardObject::kLink);
  EXPECT_EQ(open->object_id, id);
  const SelfGuardPayload* detach = wait_for(actor, SelfGuardAction::kDetach);
  ASSERT_NE(detach, nullptr) << "no detach by pid " << actor;
  EXPECT_EQ(detach->object, SelfGuardObject::kLink);
  EXPECT_EQ(detach->object_id, id);
  EXPECT_EQ(selfguard_command_name(*detach), "BPF_LINK_DETACH");

  std::vector<Event> found = (*guard)->check();
  ASSERT_EQ(found.size(), 1u);
  const SelfGuardPayload* p = found[0].as<SelfGuardPayload>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->action, SelfGuardAction::kLinkDetached);
  EXPECT_EQ(p->object_id, id);
  EXPECT_EQ(p->object_name, "egress_connect4");
  EXPECT_TRUE((*guard)->check().empty()) << "a detached link is reported once";
  close(link);
}

// A child of the test standing in as the agent: it ignores SIGTERM and SIGUSR1, and is killed
// when the test ends, also after a failed assertion.
class StandIn {
 public:
  StandIn() {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      signal(SIGTERM, SIG_IGN);
      signal(SIGUSR1, SIG_IGN);
      char c = 1;
      (void)!write(ready[1], &c, 1);
      for (;;) pause();
    }
    close(ready[1]);
    char c;
    (void)!read(ready[0], &c, 1);
    close(ready[0]);
  }
  ~StandIn() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST_F(SelfGuardTest, SignalsPtraceAndMemoryAccessOnTheProtectedProcessAreReported) {
  StandIn agent;
  ASSERT_GT(agent.pid(), 0);
  auto guard = SelfGuard::start(collector_->programs(), static_cast<uint32_t>(agent.pid()));
  ASSERT_TRUE(guard) << guard.error().message();
  pid_t target = agent.pid();

  pid_t actor = run_child([target] {
    if (kill(target, SIGTERM) != 0 || kill(target, SIGUSR1) != 0) return 1;
    if (kill(target, SIGWINCH) != 0) return 2;  // ignored by default: not reported
    // Exiting ends the tracing: the stand-in runs on untouched.
    if (ptrace(PTRACE_SEIZE, target, nullptr, nullptr) != 0) return 3;
    char buf[8];
    iovec local{buf, sizeof(buf)}, remote{reinterpret_cast<void*>(0x1000), sizeof(buf)};
    process_vm_readv(target, &local, 1, &remote, 1, 0);  // EFAULT: the call is what is reported
    return 0;
  });

  const SelfGuardPayload* term = wait_for(actor, SelfGuardAction::kSignal, SIGTERM);
  ASSERT_NE(term, nullptr) << "no SIGTERM from pid " << actor;
  EXPECT_EQ(term->target_tgid, static_cast<uint32_t>(target));
  EXPECT_EQ(term->signal_code, SI_USER);
  EXPECT_EQ(term->signal_result, 1) << "TRACE_SIGNAL_IGNORED: the stand-in ignores SIGTERM";
  EXPECT_EQ(selfguard_command_name(*term), "SIGTERM");
  EXPECT_EQ(selfguard_target(*term), fmt::format("pid {}", target));
  EXPECT_NE(wait_for(actor, SelfGuardAction::kSignal, SIGUSR1), nullptr);
  const SelfGuardPayload* seize = wait_for(actor, SelfGuardAction::kPtrace);
  ASSERT_NE(seize, nullptr) << "no ptrace from pid " << actor;
  EXPECT_EQ(selfguard_command_name(*seize), "PTRACE_SEIZE");
  EXPECT_NE(wait_for(actor, SelfGuardAction::kMemoryRead), nullptr);
  // Everything the actor did is in by now: what is absent was not reported.
  collector_->drain();
  for (const Event& ev : collector_->events()) {
    const SelfGuardPayload* p = ev.as<SelfGuardPayload>();
    EXPECT_FALSE(p && p->action == SelfGuardAction::kSignal && p->command == SIGWINCH) << "SIGWINCH reported";
  }
  EXPECT_EQ(events_by(target), 0u) << "the protected process is never its own actor";
}

}  // namespace
}  // namespace ztai
