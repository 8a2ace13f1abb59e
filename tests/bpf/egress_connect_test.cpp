// Network enforcement in the kernel, in a cgroup the test creates and attaches to (never the
// root): allowed connects succeed and denied ones fail with EPERM over IPv4, IPv6 and IPv4-mapped
// IPv6, UDP to a resolver the policy does not allow fails, audit mode denies nothing but reports,
// a cgroup made after the load is covered, a reload swaps generations, and quarantine denies all.
// Traffic goes to 127.0.0.1 and ::1 only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/common/mounts.h"
#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/socket_address.h"
#include "tests/support/test_cgroup.h"

namespace ztai {
namespace {

using testing::EventCollector;
using testing::TestCgroup;
using testing::socket_address;

// A socket bound to ip:0 (listening for TCP); closes on destruction.
struct Server {
  int fd = -1;
  uint16_t port = 0;
  Server(int family, int type, const char* ip) {
    fd = socket(family, type | SOCK_CLOEXEC, 0);
    socklen_t len = 0;
    sockaddr_storage ss = socket_address(family, ip, 0, len);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return;
    if (type == SOCK_STREAM) listen(fd, 16);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  ~Server() { close(fd); }
};

// In the calling process: 0 when the connect (TCP) or sendto (UDP) went through, else errno.
int reach(int family, int type, const char* ip, uint16_t port) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  socklen_t len = 0;
  sockaddr_storage ss = socket_address(family, ip, port, len);
  int rc = type == SOCK_STREAM ? connect(fd, reinterpret_cast<sockaddr*>(&ss), len)
                               : static_cast<int>(sendto(fd, "q", 1, 0, reinterpret_cast<sockaddr*>(&ss), len));
  int err = rc < 0 ? errno : 0;
  close(fd);
  return err;
}

class EgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    LoaderSettings settings;
    settings.self_tgid = 0;
    auto c = EventCollector::start(settings);
    ZTAI_KERNEL_PREREQ(c ? Status() : c.error());
    collector_ = std::move(*c);
    auto cg = TestCgroup::create("egress");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    auto mounts = read_mounts();
    ASSERT_TRUE(mounts);
    mount_ = *find_mount(*mounts, "cgroup2");
    relative_ = cgroup_->path().substr(mount_.size());
    auto fds = egress_fds();
    ZTAI_KERNEL_PREREQ(fds.valid() ? Status() : make_error(ErrorCode::kUnsupported, "egress maps not loaded"));
    auto att = enforce::CgroupAttachment::attach(enforce::egress_program_fds(collector_->programs()), cgroup_->path());
    ZTAI_KERNEL_PREREQ(att ? Status() : att.error());
    attachment_ = std::move(*att);
    enforcer_.emplace(enforce::EgressMaps(fds));
  }

  void TearDown() override {
    if (enforcer_) {
      EXPECT_TRUE(enforcer_->clear());
      EXPECT_TRUE(enforcer_->maps().release(cgroup_->id()));
    }
  }

  enforce::EgressMapFds egress_fds() const {
    const BpfPrograms& p = collector_->programs();
    return {p.map_fd("ztai_policy_state"), p.map_fd("ztai_policy_cgroups"), p.map_fd("ztai_egress_prefixes"),
            p.map_fd("ztai_quarantine")};
  }

  // Loads policy text (selector: this test's cgroup and everything below it).
  void apply(const std::string& mode, const std::string& allow) {
    std::string text = fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: egress-test }}\n"
        "spec:\n  selector: {{ cgroup: \"{}/*\" }}\n  mode: {}\n  egress:\n    default: deny\n    allow:\n{}",
        relative_, mode, allow);
    auto parsed = policy::parse_policy_text(text, "egress-test.yaml");
    ASSERT_TRUE(parsed) << parsed.error().message();
    policies_ = *parsed;
    // The selector names the children; the test cgroup itself is added as their parent would be.
    auto cgroups = policy::scan_cgroups(mount_, nullptr);
    ASSERT_TRUE(cgroups) << cgroups.error().message();
    policy::PolicyTargets t = policy::resolve_targets(policies_, *cgroups);
    t.by_cgroup[cgroup_->id()] = 0;
    auto st = enforcer_->apply(policies_, t, {});
    ASSERT_TRUE(st) << st.error().message();
  }

  // Runs reach() in a child inside the test cgroup (or its child cgroup `sub`).
  int reach_from_cgroup(int family, int type, const char* ip, uint16_t port, const std::string& sub = "") {
    pid_t pid = cgroup_->fork_into([&] { return reach(family, type, ip, port); }, sub);
    last_child_ = pid;
    int status = TestCgroup::wait(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::optional<NetDenialPayload> denial_of(pid_t pid, uint16_t port) {
    const Event* e = collector_->wait_for([&](const Event& x) {
      const auto* d = x.as<NetDenialPayload>();
      return d && x.hdr.proc.tgid == static_cast<uint32_t>(pid) && d->dport == port;
    });
    if (!e) return std::nullopt;
    return *e->as<NetDenialPayload>();
  }

  std::unique_ptr<EventCollector> collector_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<enforce::CgroupAttachment> attachment_;  // detached before the cgroup goes
  std::optional<enforce::NetworkEnforcer> enforcer_;
  std::vector<policy::WorkloadPolicy> policies_;
  std::string mount_, relative_;
  pid_t last_child_ = 0;
};

TEST_F(EgressTest, AllowsWhatThePolicyAllowsAndDeniesTheRestWithEperm) {
  Server tcp4(AF_INET, SOCK_STREAM, "127.0.0.1"), other4(AF_INET, SOCK_STREAM, "127.0.0.1");
  Server tcp6(AF_INET6, SOCK_STREAM, "::1"), other6(AF_INET6, SOCK_STREAM, "::1");
  Server udp(AF_INET, SOCK_DGRAM, "127.0.0.1");
  ASSERT_TRUE(tcp4.port && other4.port && tcp6.port && other6.port && udp.port);
  apply("enforce", fmt::format("      - {{ name: local-tcp, cidr: 127.0.0.1/32, ports: [{}], protocol: tcp }}\n"
                               "      - {{ name: local-v6, cidr: \"::1/128\", ports: [{}] }}\n"
                               "      - {{ name: resolver, cidr: 127.0.0.0/8, ports: [{}], protocol: udp }}\n",
                               tcp4.port, tcp6.port, udp.port));

  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", tcp4.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other4.port), EPERM);
  auto d = denial_of(last_child_, other4.port);
  ASSERT_TRUE(d) << "no denial record for the refused IPv4 connect";
  EXPECT_EQ(d->hook, PolicyHook::kConnect4);
  EXPECT_FALSE(d->audit);
  EXPECT_EQ(d->protocol, IPPROTO_TCP);
  EXPECT_EQ(d->daddr.to_string(), "127.0.0.1");
  enforce::DenialNames names = enforcer_->describe(d->generation, d->policy_id, d->rule);
  EXPECT_EQ(names.policy, "egress-test");
  EXPECT_EQ(names.rule, "egress.default");
  EXPECT_EQ(names.mode, "enforce");

  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::1", tcp6.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::1", other6.port), EPERM);
  d = denial_of(last_child_, other6.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kConnect6);
  EXPECT_EQ(d->daddr.to_string(), "::1");

  // A dual-stack socket reaching an IPv4 peer is judged by the IPv4 rules.
  Server dual(AF_INET6, SOCK_STREAM, "::");
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", tcp4.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", other4.port), EPERM);
  d = denial_of(last_child_, other4.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kConnect6);
  EXPECT_EQ(d->daddr.to_string(), "127.0.0.1");

  // Unconnected UDP: the allowed resolver port goes through, a resolver the policy does not name fails.
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.1", udp.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.2", 53), EPERM);
  d = denial_of(last_child_, 53);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kSendmsg4);
  EXPECT_EQ(d->protocol, IPPROTO_UDP);
  // The TCP-only rule does not allow UDP to its port.
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_DGRAM, "127.0.0.1", tcp4.port), EPERM);
  EXPECT_EQ(reach_from_cgroup(AF_INET6, SOCK_DGRAM, "::1", 53), EPERM);

  // The test process itself is outside the cgroup: not governed.
  EXPECT_EQ(reach(AF_INET, SOCK_STREAM, "127.0.0.1", other4.port), 0);
}

TEST_F(EgressTest, AuditModeDeniesNothingAndReportsWhatEnforceWould) {
  Server allowed(AF_INET, SOCK_STREAM, "127.0.0.1"), other(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("audit", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", allowed.port));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other.port), 0);
  auto d = denial_of(last_child_, other.port);
  ASSERT_TRUE(d) << "audit mode must report what enforce would deny";
  EXPECT_TRUE(d->audit);
  EXPECT_EQ(enforcer_->describe(d->generation, d->policy_id, d->rule).mode, "audit");
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", allowed.port), 0);
  EXPECT_FALSE(denial_of(last_child_, allowed.port)) << "an allowed connect is not reported";
}

TEST_F(EgressTest, ACgroupMadeAfterTheLoadIsCoveredByTheKernel) {
  Server other(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("enforce", "      - { cidr: 10.0.0.0/8 }\n");
  // Made after the policy load: only the kernel's cgroup_mkdir copy can cover it.
  auto late = cgroup_->create_child("late");
  ASSERT_TRUE(late) << late.error().message();
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", other.port, "late"), EPERM);
  auto gen = enforcer_->maps().generation();
  ASSERT_TRUE(gen);
  auto ids = enforcer_->maps().cgroups_in(*gen);
  ASSERT_TRUE(ids);
  EXPECT_NE(std::find(ids->begin(), ids->end(), *late), ids->end());
}

TEST_F(EgressTest, AReloadSwapsGenerationsAndClearsTheOldOne) {
  Server a(AF_INET, SOCK_STREAM, "127.0.0.1"), b(AF_INET, SOCK_STREAM, "127.0.0.1");
  apply("enforce", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", a.port));
  auto first = enforcer_->maps().generation();
  ASSERT_TRUE(first);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", b.port), EPERM);
  apply("enforce", fmt::format("      - {{ cidr: 127.0.0.1/32, ports: [{}] }}\n", b.port));
  auto second = enforcer_->maps().generation();
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", b.port), 0);
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), EPERM);
  auto old = enforcer_->maps().cgroups_in(*first);
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->empty());
}

TEST_F(EgressTest, QuarantineDeniesEverythingUntilReleased) {
  Server a(AF_INET, SOCK_STREAM, "127.0.0.1");
  ASSERT_TRUE(enforcer_->maps().quarantine(cgroup_->id()));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), EPERM);
  auto d = denial_of(last_child_, a.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule, ZTAI_POLICY_RULE_QUARANTINE);
  ASSERT_TRUE(enforcer_->maps().release(cgroup_->id()));
  EXPECT_EQ(reach_from_cgroup(AF_INET, SOCK_STREAM, "127.0.0.1", a.port), 0);
}

}  // namespace
}  // namespace ztai
