// fqdn egress rules in the kernel, in a cgroup the test creates and attaches to (never the root):
// a test resolver on 127.0.0.2 answers names with 127.0.0.3 and ::1 (through a CNAME); a workload
// in the cgroup reaches the answered address right after the answer, not before its query, not
// after the TTL plus grace, and not on a port the rule does not name. A forged answer from a
// second resolver on 127.0.0.4 allows nothing, and neither does the trusted resolver's answer to a
// query nobody sent or an answer for a name no rule matches. Traffic goes to 127.0.0.0/8 and ::1
// only.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "agent/common/clock.h"
#include "tests/bpf/support/enforced_cgroup_test.h"
#include "tests/support/kernel_test.h"
#include "tests/support/loopback.h"
#include "tests/support/socket_address.h"
#include "tests/support/test_resolver.h"

namespace ztai {
namespace {

using testing::LoopbackListener;
using testing::TestCgroup;

constexpr uint32_t kTtlSeconds = 1;
constexpr uint32_t kGraceSeconds = 1;

// 0 when a TCP connect from the calling process goes through, else errno.
int tcp_connect(int family, const char* ip, uint16_t port) { return testing::reach(family, SOCK_STREAM, ip, port); }

class FqdnTest : public testing::EnforcedCgroupTest {
 protected:
  void SetUp() override {
    attach_to_test_cgroup("fqdn");
    if (HasFatalFailure() || IsSkipped()) return;
    enforce::FqdnMapFds ffds = enforce::fqdn_map_fds(collector_->programs());
    ZTAI_KERNEL_PREREQ(ffds.valid() ? Status() : make_error(ErrorCode::kUnsupported, "fqdn maps not loaded"));
    ZTAI_KERNEL_PREREQ(attachment_->fqdn() ? Status()
                                           : make_error(ErrorCode::kUnsupported, "cgroup_skb programs not attached"));
    enforcer_->enable_fqdn(enforce::FqdnMaps(ffds));
    ASSERT_TRUE(resolvers_.ok());
    auto& fqdn = *enforcer_->fqdn_maps();
    ASSERT_TRUE(fqdn.set_times({1'000'000'000ull, kGraceSeconds * 1'000'000'000ull, 30'000'000'000ull}));
    ASSERT_TRUE(fqdn.set_resolvers({{*IpAddress::parse("127.0.0.2"), resolvers_.port()}}));
    ASSERT_TRUE(target4_.port && other4_.port && target6_.port);
  }

  void TearDown() override {
    EnforcedCgroupTest::TearDown();
    if (enforcer_ && enforcer_->fqdn_maps()) {
      EXPECT_TRUE(enforcer_->fqdn_maps()->set_resolvers({}));
      EXPECT_TRUE(enforcer_->fqdn_maps()->sweep(UINT64_MAX));
    }
  }

  void apply() {
    std::string text = fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: fqdn-test }}\n"
        "spec:\n  selector: {{ cgroup: \"{}/*\" }}\n  egress:\n    default: deny\n    allow:\n"
        "      - {{ name: resolver, cidr: 127.0.0.2/32, ports: [{}], protocol: udp }}\n"
        "      - {{ name: models, fqdn: \"*.models.test\", ports: [{}, {}], protocol: tcp }}\n",
        selector_path(), resolvers_.port(), target4_.port, target6_.port);
    apply_policies(text, "fqdn-test.yaml", [&](policy::PolicyTargets& t) { t.by_cgroup[cgroup_->id()] = 0; });
  }

  uint64_t counter(ztai_fqdn_counter c) {
    auto all = enforcer_->fqdn_maps()->counters();
    EXPECT_TRUE(all);
    return all ? (*all)[c] : 0;
  }

  testing::TestResolver resolvers_{kTtlSeconds};
  LoopbackListener target4_{AF_INET, SOCK_STREAM, "127.0.0.3"}, other4_{AF_INET, SOCK_STREAM, "127.0.0.3"};
  LoopbackListener target6_{AF_INET6, SOCK_STREAM, "::1"};
};

TEST_F(FqdnTest, TheAnsweredAddressIsReachableRightAfterTheAnswerUntilTtlPlusGrace) {
  apply();
  EXPECT_EQ(exit_code_in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", target4_.port); }), EPERM)
      << "before the query";
  uint64_t answers = counter(ZTAI_FQDN_ANSWERS);
  // One process: the connect follows the read of the answer with nothing in between.
  int code = exit_code_in_cgroup([&] {
    if (int r = testing::resolve_from("hub.models.test", resolvers_.port())) return r;
    if (int e = tcp_connect(AF_INET, "127.0.0.3", target4_.port)) return 100 + e;
    if (int e = tcp_connect(AF_INET6, "::1", target6_.port)) return 150 + e;
    if (tcp_connect(AF_INET, "127.0.0.3", other4_.port) != EPERM) return 199;  // not a port of the rule
    usleep(kTtlSeconds * 1'000'000 + 300'000);
    if (int e = tcp_connect(AF_INET, "127.0.0.3", target4_.port)) return 120 + e;  // within the grace
    return 0;
  });
  EXPECT_EQ(code, 0) << "201/202: the query failed; 1xx: a connect failed (100+errno right after the answer, "
                        "150+errno over IPv6, 120+errno in the grace period), 199: another port was allowed";
  EXPECT_EQ(counter(ZTAI_FQDN_ANSWERS), answers + 1);
  usleep(kGraceSeconds * 1'000'000 + 200'000);
  EXPECT_EQ(exit_code_in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", target4_.port); }), EPERM)
      << "after TTL + grace";
  EXPECT_EQ(exit_code_in_cgroup([&] { return tcp_connect(AF_INET6, "::1", target6_.port); }), EPERM);
  auto swept = enforcer_->fqdn_maps()->sweep(BootClock::now_boot_ns());
  ASSERT_TRUE(swept);
  EXPECT_GE(*swept, 2u) << "expired addresses are reclaimed";
}

TEST_F(FqdnTest, AForgedAnswerFromAnotherResolverAllowsNothing) {
  apply();
  uint64_t forged = counter(ZTAI_FQDN_FORGED);
  int code = exit_code_in_cgroup([&] {
    if (int r = testing::resolve_from("forged.models.test", resolvers_.port())) return r;
    return tcp_connect(AF_INET, "127.0.0.3", target4_.port);
  });
  EXPECT_EQ(code, EPERM) << "the forger's answer (from 127.0.0.4) was read, and must allow nothing";
  EXPECT_EQ(counter(ZTAI_FQDN_FORGED), forged + 1);
  // The forger is not a configured resolver even when it answers a query sent to it.
  int direct = exit_code_in_cgroup([&] {
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
    LoopbackListener client(AF_INET, SOCK_DGRAM, "127.0.0.1");
    timeval tv{2, 0};
    setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (write(ports[1], &client.port, sizeof(client.port)) != sizeof(client.port)) return 201;
    char buf[512];
    if (recv(client.fd, buf, sizeof(buf), 0) <= 12) return 202;
    return tcp_connect(AF_INET, "127.0.0.3", target4_.port);
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
  int code = exit_code_in_cgroup([&] {
    if (int r = testing::resolve_from("models.test", resolvers_.port())) return r;  // the wildcard's bare suffix
    if (int e = tcp_connect(AF_INET, "127.0.0.3", target4_.port); e != EPERM) return 100 + e;
    if (int r = testing::resolve_from("hub.other.test", resolvers_.port())) return r;
    return tcp_connect(AF_INET, "127.0.0.3", target4_.port);
  });
  EXPECT_EQ(code, EPERM);
  EXPECT_EQ(counter(ZTAI_FQDN_UNMATCHED), unmatched + 2);
}

TEST_F(FqdnTest, AReloadWithTheSameFqdnRulesKeepsTheLearntAddresses) {
  apply();
  EXPECT_EQ(exit_code_in_cgroup([&] {
              if (int r = testing::resolve_from("hub.models.test", resolvers_.port())) return r;
              return tcp_connect(AF_INET, "127.0.0.3", target4_.port);
            }),
            0);
  apply();  // a generation flip, as a new workload or a touched file causes
  EXPECT_EQ(exit_code_in_cgroup([&] { return tcp_connect(AF_INET, "127.0.0.3", target4_.port); }), 0);
}

}  // namespace
}  // namespace ztai
