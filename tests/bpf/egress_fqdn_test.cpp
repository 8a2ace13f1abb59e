// fqdn egress rules in the kernel, in a cgroup the test creates and attaches to (never the root):
// a test resolver on 127.0.0.2 answers names with 127.0.0.3 and ::1 (through a CNAME); a workload
// in the cgroup reaches the answered address right after the answer, not before its query, not
// after the TTL plus grace, and not on a port the rule does not name. A forged answer from a
// second resolver on 127.0.0.4 allows nothing, and neither does the trusted resolver's answer to a
// query nobody sent or an answer for a name no rule matches. Traffic goes to 127.0.0.0/8 and ::1
// only.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/common/clock.h"
#include "agent/common/mounts.h"
#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/socket_address.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_resolver.h"

namespace ztai {
namespace {

using testing::EventCollector;
using testing::TestCgroup;

constexpr uint32_t kTtlSeconds = 1;
constexpr uint32_t kGraceSeconds = 1;

int bound_socket(int family, int type, const char* ip, uint16_t& port) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = testing::socket_address(family, ip, 0, len);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  if (type == SOCK_STREAM) listen(fd, 16);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// 0 when a TCP connect from the calling process goes through, else errno.
int tcp_connect(int family, const char* ip, uint16_t port) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = 0;
  sockaddr_storage ss = testing::socket_address(family, ip, port, len);
  int err = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 ? errno : 0;
  close(fd);
  return err;
}

class FqdnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    LoaderSettings settings;
    settings.self_tgid = 0;
    auto c = EventCollector::start(settings);
    ZTAI_KERNEL_PREREQ(c ? Status() : c.error());
    collector_ = std::move(*c);
    auto cg = TestCgroup::create("fqdn");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    auto mounts = read_mounts();
    ASSERT_TRUE(mounts);
    mount_ = *find_mount(*mounts, "cgroup2");
    const BpfPrograms& p = collector_->programs();
    enforce::EgressMapFds fds{p.map_fd("ztai_policy_state"), p.map_fd("ztai_policy_cgroups"),
                              p.map_fd("ztai_egress_prefixes"), p.map_fd("ztai_quarantine")};
    enforce::FqdnMapFds ffds{p.map_fd("ztai_fqdn_names"),    p.map_fd("ztai_fqdn_sets"),
                             p.map_fd("ztai_fqdn_allowed"),  p.map_fd("ztai_dns_resolvers"),
                             p.map_fd("ztai_fqdn_config"),   p.map_fd("ztai_fqdn_counters")};
    ZTAI_KERNEL_PREREQ(fds.valid() && ffds.valid() ? Status()
                                                    : make_error(ErrorCode::kUnsupported, "fqdn maps not loaded"));
    auto att = enforce::CgroupAttachment::attach(enforce::egress_program_fds(p), cgroup_->path());
    ZTAI_KERNEL_PREREQ(att ? Status() : att.error());
    attachment_ = std::move(*att);
    ZTAI_KERNEL_PREREQ(attachment_->fqdn() ? Status()
                                           : make_error(ErrorCode::kUnsupported, "cgroup_skb programs not attached"));
    enforcer_.emplace(enforce::EgressMaps(fds));
    enforcer_->enable_fqdn(enforce::FqdnMaps(ffds));
    ASSERT_TRUE(resolvers_.ok());
    auto& fqdn = *enforcer_->fqdn_maps();
    ASSERT_TRUE(fqdn.set_times({1'000'000'000ull, kGraceSeconds * 1'000'000'000ull, 30'000'000'000ull}));
    ASSERT_TRUE(fqdn.set_resolvers({{*IpAddress::parse("127.0.0.2"), resolvers_.port()}}));
    target4_ = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.3", port4_);
    other4_ = bound_socket(AF_INET, SOCK_STREAM, "127.0.0.3", other_port_);
    target6_ = bound_socket(AF_INET6, SOCK_STREAM, "::1", port6_);
    ASSERT_TRUE(target4_ >= 0 && other4_ >= 0 && target6_ >= 0);
  }

  void TearDown() override {
    if (enforcer_) {
      EXPECT_TRUE(enforcer_->clear());
      EXPECT_TRUE(enforcer_->fqdn_maps()->set_resolvers({}));
      EXPECT_TRUE(enforcer_->fqdn_maps()->sweep(UINT64_MAX));
    }
    for (int fd : {target4_, other4_, target6_}) close(fd);
  }

  void apply() {
    std::string relative = cgroup_->path().substr(mount_.size());
    std::string text = fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: fqdn-test }}\n"
        "spec:\n  selector: {{ cgroup: \"{}/*\" }}\n  egress:\n    default: deny\n    allow:\n"
        "      - {{ name: resolver, cidr: 127.0.0.2/32, ports: [{}], protocol: udp }}\n"
        "      - {{ name: models, fqdn: \"*.models.test\", ports: [{}, {}], protocol: tcp }}\n",
        relative, resolvers_.port(), port4_, port6_);
    auto parsed = policy::parse_policy_text(text, "fqdn-test.yaml");
    ASSERT_TRUE(parsed) << parsed.error().message();
    policies_ = *parsed;
    policy::PolicyTargets t;
    t.by_cgroup[cgroup_->id()] = 0;
    auto st = enforcer_->apply(policies_, t, {});
    ASSERT_TRUE(st) << st.error().message();
  }

  // Runs fn in a child inside the test cgroup; its exit code.
  int in_cgroup(const std::function<int()>& fn) {
    pid_t pid = cgroup_->fork_into(fn);
    int status = TestCgroup::wait(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  uint64_t counter(ztai_fqdn_counter c) {
    auto all = enforcer_->fqdn_maps()->counters();
    EXPECT_TRUE(all);
    return all ? (*all)[c] : 0;
  }

  std::unique_ptr<EventCollector> collector_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<enforce::CgroupAttachment> attachment_;
  std::optional<enforce::NetworkEnforcer> enforcer_;
  std::vector<policy::WorkloadPolicy> policies_;
  std::string mount_;
  testing::TestResolver resolvers_{kTtlSeconds};
  int target4_ = -1, other4_ = -1, target6_ = -1;
  uint16_t port4_ = 0, other_port_ = 0, port6_ = 0;
};

TEST_F(FqdnTest, TheAnsweredAddressIsReachableRightAfterTheAnswerUntilTtlPlusGrace) {
  apply();
  EXPECT_EQ(in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", port4_); }), EPERM) << "before the query";
  uint64_t answers = counter(ZTAI_FQDN_ANSWERS);
  // One process: the connect follows the read of the answer with nothing in between.
  int code = in_cgroup([&] {
    if (int r = testing::resolve_from("hub.models.test", resolvers_.port())) return r;
    if (int e = tcp_connect(AF_INET, "127.0.0.3", port4_)) return 100 + e;
    if (int e = tcp_connect(AF_INET6, "::1", port6_)) return 150 + e;
    if (tcp_connect(AF_INET, "127.0.0.3", other_port_) != EPERM) return 199;  // not a port of the rule
    usleep(kTtlSeconds * 1'000'000 + 300'000);
    if (int e = tcp_connect(AF_INET, "127.0.0.3", port4_)) return 120 + e;  // within the grace
    return 0;
  });
  EXPECT_EQ(code, 0) << "201/202: the query failed; 1xx: a connect failed (100+errno right after the answer, "
                        "150+errno over IPv6, 120+errno in the grace period), 199: another port was allowed";
  EXPECT_EQ(counter(ZTAI_FQDN_ANSWERS), answers + 1);
  usleep(kGraceSeconds * 1'000'000 + 200'000);
  EXPECT_EQ(in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", port4_); }), EPERM) << "after TTL + grace";
  EXPECT_EQ(in_cgroup([&] { return tcp_connect(AF_INET6, "::1", port6_); }), EPERM);
  auto swept = enforcer_->fqdn_maps()->sweep(BootClock::now_boot_ns());
  ASSERT_TRUE(swept);
  EXPECT_GE(*swept, 2u) << "expired addresses are reclaimed";
}

TEST_F(FqdnTest, AForgedAnswerFromAnotherResolverAllowsNothing) {
  apply();
  uint64_t forged = counter(ZTAI_FQDN_FORGED);
  int code = in_cgroup([&] {
    if (int r = testing::resolve_from("forged.models.test", resolvers_.port())) return r;
    return tcp_connect(AF_INET, "127.0.0.3", port4_);
  });
  EXPECT_EQ(code, EPERM) << "the forger's answer (from 127.0.0.4) was read, and must allow nothing";
  EXPECT_EQ(counter(ZTAI_FQDN_FORGED), forged + 1);
  // The forger is not a configured resolver even when it answers a query sent to it.
  int direct = in_cgroup([&] {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len = 0;
    sockaddr_storage f = testing::socket_address(AF_INET, "127.0.0.4", resolvers_.forger_port(), len);
    std::string q = testing::dns_query("hub.models.test", 7);
    return sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&f), len) < 0 ? errno : 0;
  });
  EXPECT_EQ(direct, EPERM) << "the policy does not let the workload ask another resolver";
}

TEST_F(FqdnTest, TheResolversAnswerToAQueryNobodySentAllowsNothing) {
  apply();
  uint64_t forged = counter(ZTAI_FQDN_FORGED);
  int ports[2];
  ASSERT_EQ(pipe2(ports, O_CLOEXEC), 0);
  pid_t pid = cgroup_->fork_into([&] {
    close(ports[0]);
    uint16_t port = 0;
    int fd = bound_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", port);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (write(ports[1], &port, sizeof(port)) != sizeof(port)) return 201;
    char buf[512];
    if (recv(fd, buf, sizeof(buf), 0) <= 12) return 202;
    return tcp_connect(AF_INET, "127.0.0.3", port4_);
  });
  close(ports[1]);
  uint16_t port = 0;
  ASSERT_EQ(read(ports[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
  close(ports[0]);
  resolvers_.answer_unasked("hub.models.test", port);
  int status = TestCgroup::wait(pid);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, EPERM) << "202: the answer did not arrive";
  EXPECT_EQ(counter(ZTAI_FQDN_FORGED), forged + 1);
}

TEST_F(FqdnTest, AnAnswerForANameNoRuleMatchesAllowsNothing) {
  apply();
  uint64_t unmatched = counter(ZTAI_FQDN_UNMATCHED);
  int code = in_cgroup([&] {
    if (int r = testing::resolve_from("models.test", resolvers_.port())) return r;  // the wildcard's bare suffix
    if (int e = tcp_connect(AF_INET, "127.0.0.3", port4_); e != EPERM) return 100 + e;
    if (int r = testing::resolve_from("hub.other.test", resolvers_.port())) return r;
    return tcp_connect(AF_INET, "127.0.0.3", port4_);
  });
  EXPECT_EQ(code, EPERM);
  EXPECT_EQ(counter(ZTAI_FQDN_UNMATCHED), unmatched + 2);
}

TEST_F(FqdnTest, AReloadWithTheSameFqdnRulesKeepsTheLearntAddresses) {
  apply();
  EXPECT_EQ(in_cgroup([&] {
              if (int r = testing::resolve_from("hub.models.test", resolvers_.port())) return r;
              return tcp_connect(AF_INET, "127.0.0.3", port4_);
            }),
            0);
  apply();  // a generation flip, as a new workload or a touched file causes
  EXPECT_EQ(in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", port4_); }), 0);
}

}  // namespace
}  // namespace ztai
