// enforcement.persist with the real agent: a policy keeps denying after the agent is killed, a
// restarted agent adopts the pinned maps (same map, a generation flip) and replaces the earlier
// agent's programs with no denied connect going through meanwhile, a clean stop keeps enforcing,
// and removing the pin root detaches everything. Without persist nothing is pinned and a killed agent leaves nothing enforcing. The programs
// attach at a cgroup the test creates, pins live in a directory of the test's own in bpffs, and
// connects go to 127.0.0.1 only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "agent/common/mounts.h"
#include "agent/kernel/enforcement_pins.h"
#include "bpf/abi/policy.h"
#include "tests/e2e/support/agent_process.h"
#include "tests/support/bpf_inventory.h"
#include "tests/support/kernel_test.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;
using testing::TestCgroup;

struct Listener {
  int fd = -1;
  uint16_t port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd, 64) != 0) return;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { close(fd); }
};

int connect_local(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int err = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 ? 0 : errno;
  close(fd);
  return err;
}

// The pin root is the test's own and goes with the test, also after a failed assertion.
struct PinRoot {
  std::string path;
  explicit PinRoot(std::string p) : path(std::move(p)) { remove(); }
  ~PinRoot() { remove(); }
  void remove() const {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Program ids behind the links pinned under dir/links.
std::set<unsigned> pinned_link_programs(const std::string& dir) {
  std::set<unsigned> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/links", ec)) {
    int fd = bpf_obj_get(e.path().c_str());
    if (fd < 0) continue;
    bpf_link_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) ids.insert(info.prog_id);
    close(fd);
  }
  return ids;
}

std::vector<std::string> names_in(const std::string& dir);

// Maps used by the programs behind dir's links that are neither pinned in dir nor the agent's own
// (rings, counters, scratch, the object's .rodata/.bss): state a restarted agent would not adopt.
std::set<std::string> unpinned_state_maps(const std::string& dir) {
  const std::set<std::string> per_agent = {"control_rb", "data_rb", "counters", "scratch"};
  std::set<__u32> pinned;
  for (const std::string& name : names_in(dir)) {
    int fd = bpf_obj_get((dir + "/" + name).c_str());
    if (fd < 0) continue;
    bpf_map_info m{};
    __u32 len = sizeof(m);
    if (bpf_obj_get_info_by_fd(fd, &m, &len) == 0) pinned.insert(m.id);
    close(fd);
  }
  std::set<std::string> out;
  for (unsigned prog : pinned_link_programs(dir)) {
    int fd = bpf_prog_get_fd_by_id(prog);
    if (fd < 0) continue;
    std::vector<__u32> ids(64);
    bpf_prog_info info{};
    info.nr_map_ids = static_cast<__u32>(ids.size());
    info.map_ids = reinterpret_cast<__u64>(ids.data());
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) ids.resize(std::min<size_t>(info.nr_map_ids, ids.size()));
    close(fd);
    for (__u32 id : ids) {
      int mfd = bpf_map_get_fd_by_id(id);
      if (mfd < 0) continue;
      bpf_map_info m{};
      __u32 mlen = sizeof(m);
      if (bpf_obj_get_info_by_fd(mfd, &m, &mlen) == 0) {
        std::string name = m.name;
        bool internal = name.find('.') != std::string::npos;
        if (!internal && !per_agent.count(name) && !pinned.count(id)) {
          out.insert(name);
        }
      }
      close(mfd);
    }
  }
  return out;
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct PinnedMap {
  unsigned id = 0;
  uint32_t generation = 0;
};

PinnedMap pinned_state(const std::string& dir) {
  PinnedMap m;
  int fd = bpf_obj_get((dir + "/ztai_policy_state").c_str());
  if (fd < 0) return m;
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) m.id = info.id;
  uint32_t zero = 0;
  ztai_policy_state s{};
  if (bpf_map_lookup_elem(fd, &zero, &s) == 0) m.generation = s.generation;
  close(fd);
  return m;
}

bool any_loaded(const std::set<unsigned>& ids) {
  for (const auto& p : testing::loaded_programs()) {
    if (ids.count(p.id)) return true;
  }
  return false;
}

// The kernel frees programs from deferred work after their last link goes.
bool gone_soon(const std::set<unsigned>& ids) {
  for (int i = 0; i < 100 && any_loaded(ids); ++i) std::this_thread::sleep_for(50ms);
  return !any_loaded(ids);
}

// A pinned ztai_policy_state in dir, as another agent would leave it; value_size 8 is this
// build's layout.
void pin_foreign_map(const std::string& dir, uint32_t value_size = 8) {
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0) << dir << ": " << strerror(errno);
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ztai_test_old", 4, value_size, 1, nullptr);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(bpf_obj_pin(fd, (dir + "/ztai_policy_state").c_str()), 0) << strerror(errno);
  close(fd);
}

// What `ztai status` prints for the agent at api.
std::string ztai_status(const std::string& api) {
  std::string out;
  FILE* p = popen(fmt::format("{} status --address {}", ZTAI_BINARY, api).c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  return out;
}

// Connects from the workload to a port over and over until stop(): whether any went through,
// and how many were tried.
class ConnectLoop {
 public:
  ConnectLoop(const TestCgroup& cgroup, uint16_t port, const std::string& tally) {
    if (pipe2(stop_, O_CLOEXEC) != 0) return;
    pid_ = cgroup.fork_into(
        [this, port, tally] {
          close(stop_[1]);
          uint64_t tried = 0, through = 0;
          pollfd p{stop_[0], POLLIN, 0};
          while (poll(&p, 1, 0) == 0) {
            tried++;
            if (connect_local(port) == 0) through++;
          }
          std::ofstream(tally) << tried;
          return through ? 1 : 0;
        },
        "workload");
    close(stop_[0]);
  }
  // 0: none went through; 1: some did; -1: the loop failed.
  int stop() {
    close(stop_[1]);
    int st = TestCgroup::wait(pid_);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

 private:
  int stop_[2] = {-1, -1};
  pid_t pid_ = -1;
};

class PersistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    auto cg = TestCgroup::create("persist");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    auto child = cgroup_->create_child("workload");
    ASSERT_TRUE(child) << child.error().message();
    auto mounts = read_mounts();
    ASSERT_TRUE(mounts);
    auto bpffs = find_mount(*mounts, "bpf");
    ZTAI_KERNEL_PREREQ(bpffs ? Status() : make_error(ErrorCode::kNotFound, "no bpffs mounted"));
    pins_ = std::make_unique<PinRoot>(*bpffs + "/ztai-test-persist-" + std::to_string(getpid()));
    pin_dir_ = pins_->path + "/" + policy_pin_dir_name(ZTAI_POLICY_ABI_VERSION);
    ASSERT_TRUE(allowed_.port && denied_.port);

    char tmpl[] = "/tmp/ztai-persist-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string relative = cgroup_->path().substr(find_mount(*mounts, "cgroup2")->size());
    std::ofstream(dir_ + "/policy.yaml") << fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: persist-test }}\n"
        "spec:\n  selector: {{ cgroup: \"{}/workload\" }}\n  mode: enforce\n  egress:\n    default: deny\n"
        "    allow:\n      - {{ name: allowed, cidr: 127.0.0.1/32, ports: [{}], protocol: tcp }}\n",
        relative, allowed_.port);
    std::filesystem::create_directory(dir_ + "/rules");
  }

  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string write_config(bool persist, const std::string& api) {
    std::string path = dir_ + (persist ? "/persist.yaml" : "/transient.yaml");
    std::ofstream(path) << fmt::format(
        "lock_file: {0}/ztai.lock\napi: {{ listen: \"{4}\", control_socket: {0}/control.sock }}\nrules: {{ paths: [{0}/rules] }}\n"
        "capture: {{ tls: false, go_tls: false }}\n"
        "enforcement:\n  policies: [{0}/policy.yaml]\n  root_cgroup: {1}\n  persist: {2}\n  pin_root: {3}\n",
        dir_, cgroup_->path(), persist ? "true" : "false", pins_->path, api);
    return path;
  }

  // api: the agent's metrics address, "" for none.
  std::unique_ptr<AgentProcess> start(bool persist, const std::string& api = "") {
    return std::make_unique<AgentProcess>(std::vector<std::string>{"run", "--config", write_config(persist, api)});
  }

  // errno of a connect from the policy's workload cgroup, 0 when it went through.
  int from_workload(uint16_t port) {
    pid_t pid = cgroup_->fork_into([port] { return connect_local(port); }, "workload");
    int status = TestCgroup::wait(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Waits until a connect from the workload returns `want` (links go from deferred work).
  int settles_to(uint16_t port, int want) {
    int got = from_workload(port);
    for (int i = 0; i < 100 && got != want; ++i) {
      std::this_thread::sleep_for(50ms);
      got = from_workload(port);
    }
    return got;
  }

  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<PinRoot> pins_;  // removed before the cgroup
  std::string pin_dir_, dir_;
  Listener allowed_, denied_;
};

TEST_F(PersistTest, KilledAgentKeepsEnforcingAndTheRestartedOneAdoptsIt) {
  auto first = start(true);
  ASSERT_TRUE(first->ready()) << first->stderr_text();
  EXPECT_EQ(from_workload(allowed_.port), 0);
  EXPECT_EQ(from_workload(denied_.port), EPERM);
  std::vector<std::string> pinned = names_in(pin_dir_);
  for (const char* map : {"ztai_policy_state", "ztai_policy_cgroups", "ztai_egress_prefixes", "ztai_quarantine", "links"}) {
    EXPECT_NE(std::find(pinned.begin(), pinned.end(), map), pinned.end()) << map << " not pinned in " << pin_dir_;
  }
  std::vector<std::string> links = names_in(pin_dir_ + "/links");
  for (const char* link : {"connect4-egress_connect4", "connect6-egress_connect6", "sendmsg4-egress_sendmsg4",
                           "sendmsg6-egress_sendmsg6", "egress_cgroup_mkdir", "egress_cgroup_rmdir",
                           "skb_egress-fqdn_query", "skb_ingress-fqdn_answer",
                           "post_bind4-seg_bind4", "post_bind6-seg_bind6", "sock_release-seg_release",
                           "connect4-seg_connect4", "connect6-seg_connect6", "sendmsg4-seg_sendmsg4",
                           "sendmsg6-seg_sendmsg6"}) {
    EXPECT_NE(std::find(links.begin(), links.end(), link), links.end()) << link << " not pinned";
  }
  std::set<unsigned> first_programs = pinned_link_programs(pin_dir_);
  EXPECT_EQ(first_programs.size(), 15u);  // egress 4, egress_inherit 2, fqdn 2, segmentation 7
  // A map added to these programs without LIBBPF_PIN_BY_NAME would start empty after a restart.
  EXPECT_EQ(unpinned_state_maps(pin_dir_), std::set<std::string>{});

  first->kill_now();
  EXPECT_EQ(from_workload(denied_.port), EPERM) << "the policy holds while no agent runs";
  EXPECT_EQ(from_workload(allowed_.port), 0);
  EXPECT_TRUE(any_loaded(first_programs));
  PinnedMap before = pinned_state(pin_dir_);
  ASSERT_NE(before.id, 0u);

  // An agent of another layout version left its directory: the next agent removes it.
  std::string other = pins_->path + "/" + policy_pin_dir_name(ZTAI_POLICY_ABI_VERSION + 1);
  pin_foreign_map(other);

  Listener free_port;  // a port for the agent's api, released for it
  std::string api = fmt::format("127.0.0.1:{}", free_port.port);
  close(free_port.fd);
  free_port.fd = -1;
  // Denied connects all through the hand-over: the new programs attach before the old go.
  ConnectLoop loop(*cgroup_, denied_.port, dir_ + "/tried");
  auto second = start(true, api);
  ASSERT_TRUE(second->ready()) << second->stderr_text();
  EXPECT_TRUE(gone_soon(first_programs)) << "the killed agent's programs are detached";
  EXPECT_EQ(loop.stop(), 0) << "a denied connect went through while the agent restarted";
  uint64_t tried = 0;
  std::ifstream(dir_ + "/tried") >> tried;
  EXPECT_GT(tried, 100u) << "the loop connected all along the start";
  RecordProperty("denied_connects_during_restart", std::to_string(tried));
  std::string shown = ztai_status(api);
  EXPECT_NE(shown.find(fmt::format("ztai_enforcement_pinned {{adopted=true dir={}}}", pin_dir_)), std::string::npos)
      << shown;
  const std::string& log = second->stderr_text();
  EXPECT_NE(log.find("adopting " + pin_dir_), std::string::npos) << log;
  EXPECT_NE(log.find("removed the pinned enforcement at " + other), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(other));
  PinnedMap after = pinned_state(pin_dir_);
  EXPECT_EQ(after.id, before.id) << "the pinned map is reused";
  EXPECT_NE(after.generation & 1, before.generation & 1) << "the policy load flipped the generation";
  std::set<unsigned> second_programs = pinned_link_programs(pin_dir_);
  EXPECT_EQ(second_programs.size(), 15u);
  for (unsigned id : second_programs) EXPECT_FALSE(first_programs.count(id)) << "link still on the old program";
  EXPECT_EQ(from_workload(denied_.port), EPERM);
  EXPECT_EQ(from_workload(allowed_.port), 0);

  // A clean stop with persist keeps enforcing, until the pins are removed.
  int status = second->stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << second->stderr_text();
  EXPECT_EQ(from_workload(denied_.port), EPERM);
  EXPECT_TRUE(any_loaded(second_programs));
  pins_->remove();
  EXPECT_TRUE(gone_soon(second_programs)) << "removing the pin root detaches every program";
  EXPECT_EQ(settles_to(denied_.port, 0), 0);
}

TEST_F(PersistTest, PinnedMapsOfAnotherLayoutUnderTheSameVersionAreSetAsideNotAdopted) {
  ASSERT_EQ(mkdir(pins_->path.c_str(), 0700), 0) << strerror(errno);
  pin_foreign_map(pin_dir_, 16);
  auto agent = start(true);
  ASSERT_TRUE(agent->ready()) << agent->stderr_text();
  const std::string& log = agent->stderr_text();
  EXPECT_NE(log.find("set aside as " + pin_dir_ + "-retired-"), std::string::npos) << log;
  EXPECT_EQ(log.find("adopting"), std::string::npos) << log;
  EXPECT_EQ(names_in(pins_->path), std::vector<std::string>{policy_pin_dir_name(ZTAI_POLICY_ABI_VERSION)});
  EXPECT_EQ(from_workload(denied_.port), EPERM);
  EXPECT_EQ(from_workload(allowed_.port), 0);
}

TEST_F(PersistTest, WithoutPersistNothingIsPinnedAndAKilledAgentLeavesNothing) {
  // What an earlier agent with persist pinned is removed once this one enforces.
  ASSERT_EQ(mkdir(pins_->path.c_str(), 0700), 0) << strerror(errno);
  pin_foreign_map(pin_dir_);
  auto agent = start(false);
  ASSERT_TRUE(agent->ready()) << agent->stderr_text();
  EXPECT_EQ(from_workload(denied_.port), EPERM);
  EXPECT_EQ(from_workload(allowed_.port), 0);
  EXPECT_TRUE(names_in(pins_->path).empty()) << "pinned: " << fmt::format("{}", fmt::join(names_in(pins_->path), ", "));
  agent->kill_now();
  EXPECT_EQ(settles_to(denied_.port, 0), 0) << "a killed agent without persist leaves no program enforcing";
  EXPECT_TRUE(names_in(pins_->path).empty());
}

}  // namespace
}  // namespace ztai
