// Segmentation in the kernel, in cgroups the test creates and attaches to (never the root): a
// server workload whose policy has ingress.default: deny is reachable on loopback from the
// workload its from.workload names, on the allowed port only, and not from another workload
// (EPERM and a denial record naming the receiving policy), over IPv4, IPv6 and wildcard binds;
// audit mode reports without denying; the endpoint goes when the server's sockets close. The same
// holds between network namespaces (pods on one node), linked by a veth pair the test creates:
// the agent lists each namespace's addresses, read as soon as a bind is noted in it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <array>
#include <map>
#include <optional>

#include "tests/bpf/support/enforced_cgroup_test.h"
#include "tests/support/kernel_test.h"
#include "agent/enforce/segment_namespaces.h"
#include "agent/kernel/map_keys.h"
#include "tests/support/loopback.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_netns.h"

namespace ztai {
namespace {

using testing::TestCgroup;
using testing::TestNetns;

// Ports the server child bound (0: that bind failed).
struct ServerPorts {
  uint16_t v4_allowed = 0, v4_other = 0, v6 = 0, any4 = 0, any6 = 0;
};

class SegmentTest : public testing::EnforcedCgroupTest {
 protected:
  void SetUp() override {
    attach_to_test_cgroup("segment");
    if (HasFatalFailure() || IsSkipped()) return;
    auto srv = cgroup_->create_child("srv");
    ASSERT_TRUE(srv);
    srv_id_ = *srv;
    for (const char* name : {"a", "b"}) ASSERT_TRUE(cgroup_->create_child(name));
    const BpfPrograms& p = collector_->programs();
    ZTAI_KERNEL_PREREQ(map_fds_.ingress >= 0 ? Status()
                                             : make_error(ErrorCode::kUnsupported, "segmentation not loaded"));
    ASSERT_TRUE(attachment_->segmented());
    enforce::SegmentMapFds seg = enforce::segment_map_fds(p);
    ASSERT_TRUE(seg.valid());
    enforce::SegmentSeeders seeders = enforce::segment_seeders(p);
    ASSERT_TRUE(seeders.valid()) << "the socket iterators did not load";
    namespaces_.emplace(seg, seeders);
  }

  void TearDown() override {
    stop_server();
    EnforcedCgroupTest::TearDown();
  }

  // The server workload: binds (to ip4/ip6, and the wildcards), reports its ports through a pipe,
  // and holds the sockets until stop_server(). In ns, when given.
  void start_server(const TestNetns* ns = nullptr, const char* ip4 = "127.0.0.1", const char* ip6 = "::1") {
    int ports_pipe[2], hold_pipe[2];
    ASSERT_EQ(pipe(ports_pipe), 0);
    ASSERT_EQ(pipe(hold_pipe), 0);
    server_ = cgroup_->fork_into(
        [&] {
          close(ports_pipe[0]);
          close(hold_pipe[1]);
          if (ns && !ns->enter()) return 1;
          testing::LoopbackListener l1(AF_INET, SOCK_STREAM, ip4), l2(AF_INET, SOCK_STREAM, ip4);
          testing::LoopbackListener l3(AF_INET6, SOCK_STREAM, ip6), l4(AF_INET, SOCK_STREAM, "0.0.0.0");
          testing::LoopbackListener l5(AF_INET6, SOCK_STREAM, "::");
          ServerPorts p{l1.port, l2.port, l3.port, l4.port, l5.port};
          if (write(ports_pipe[1], &p, sizeof(p)) != sizeof(p)) return 1;
          char c;
          return read(hold_pipe[0], &c, 1) >= 0 ? 0 : 1;
        },
        "srv");
    close(ports_pipe[1]);
    close(hold_pipe[0]);
    hold_ = hold_pipe[1];
    ASSERT_EQ(read(ports_pipe[0], &ports_, sizeof(ports_)), static_cast<ssize_t>(sizeof(ports_)));
    close(ports_pipe[0]);
    ASSERT_TRUE(ports_.v4_allowed && ports_.v4_other && ports_.v6 && ports_.any4 && ports_.any6);
  }

  void stop_server() {
    if (server_ <= 0) return;
    close(hold_);
    EXPECT_EQ(TestCgroup::wait(server_), 0);
    server_ = 0;
  }

  // api (the server) lets gateway (cgroup a) in on some ports; other (cgroup b) is not named.
  // remote_pods: addresses of pods of another node -> index of the policy selecting them (0: api).
  void apply(const std::string& mode, std::map<std::array<uint8_t, 16>, size_t> remote_pods = {}) {
    std::string text = fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: api }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/srv\" }}\n  mode: {1}\n  ingress:\n    default: deny\n    allow:\n"
        "      - {{ name: from-gateway, from: {{ workload: gateway }}, ports: [{2}, {3}, {4}, {5}] }}\n"
        "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: gateway }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/a\" }}\n"
        "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: other }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/b\" }}\n",
        selector_path(), mode, ports_.v4_allowed, ports_.v6, ports_.any4, ports_.any6);
    apply_policies(text, "segment-test.yaml",
                   [&](policy::PolicyTargets& t) { t.remote_pods = std::move(remote_pods); });
  }

  int reach_from(const std::string& child, int family, const char* ip, uint16_t port, const TestNetns* ns = nullptr) {
    return exit_code_in_cgroup(
        [&] { return ns && !ns->enter() ? -1 : testing::reach(family, SOCK_STREAM, ip, port); }, child);
  }

  // Endpoints the kernel lists for a cgroup.
  size_t endpoints_of(uint64_t cgroup_id) const {
    int fd = collector_->programs().map_fd("ztai_endpoints");
    size_t n = 0;
    ztai_endpoint_key key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      ztai_endpoint v{};
      if (bpf_map_lookup_elem(fd, &next, &v) == 0 && v.cgroup_id == cgroup_id) n++;
      key = next;
      prev = &key;
    }
    return n;
  }

  // Removes the endpoints of a cgroup, as if its sockets were bound before the programs attached.
  void forget_endpoints_of(uint64_t cgroup_id) {
    int fd = collector_->programs().map_fd("ztai_endpoints");
    auto keys = bpf_map_keys<ztai_endpoint_key>(fd, "ztai_endpoints");
    ASSERT_TRUE(keys) << keys.error().message();
    for (const ztai_endpoint_key& k : *keys) {
      ztai_endpoint v{};
      if (bpf_map_lookup_elem(fd, &k, &v) == 0 && v.cgroup_id == cgroup_id) bpf_map_delete_elem(fd, &k);
    }
  }

  // The namespace ztai_local_addrs lists an address in (0: several), or nullopt.
  std::optional<uint64_t> listed_netns(const char* ip) const {
    std::array<uint8_t, 16> key = IpAddress::parse(ip)->mapped();
    uint64_t netns = 0;
    if (bpf_map_lookup_elem(collector_->programs().map_fd("ztai_local_addrs"), key.data(), &netns) != 0) {
      return std::nullopt;
    }
    return netns;
  }

  std::optional<enforce::SegmentNamespaces> namespaces_;
  uint64_t srv_id_ = 0;
  pid_t server_ = 0;
  int hold_ = -1;
  ServerPorts ports_;
};

TEST_F(SegmentTest, OnlyTheNamedWorkloadReachesTheServerOnItsPorts) {
  start_server();
  apply("enforce");

  EXPECT_EQ(reach_from("a", AF_INET, "127.0.0.1", ports_.v4_allowed), 0);
  EXPECT_EQ(reach_from("a", AF_INET, "127.0.0.1", ports_.v4_other), EPERM) << "a port no rule allows";
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.1", ports_.v4_allowed), EPERM);
  auto d = denial_of(last_child_, ports_.v4_allowed);
  ASSERT_TRUE(d) << "no denial record for the refused connect";
  EXPECT_EQ(d->hook, PolicyHook::kConnect4);
  EXPECT_FALSE(d->audit);
  EXPECT_EQ(d->daddr.to_string(), "127.0.0.1");
  enforce::DenialNames names = enforcer_->describe(d->generation, d->policy_id, d->rule);
  EXPECT_EQ(names.policy, "api");
  EXPECT_EQ(names.rule, "ingress.default");
  EXPECT_EQ(names.mode, "enforce");

  EXPECT_EQ(reach_from("a", AF_INET6, "::1", ports_.v6), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "::1", ports_.v6), EPERM);
  d = denial_of(last_child_, ports_.v6);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hook, PolicyHook::kConnect6);

  // Wildcard binds are reached through any loopback address, and IPv4 reaches a dual-stack `::`.
  EXPECT_EQ(reach_from("a", AF_INET, "127.0.0.1", ports_.any4), 0);
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.1", ports_.any4), EPERM);
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.2", ports_.any4), EPERM);
  EXPECT_EQ(reach_from("a", AF_INET6, "::1", ports_.any6), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "::1", ports_.any6), EPERM);
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.1", ports_.any6), EPERM);
  EXPECT_EQ(reach_from("a", AF_INET, "127.0.0.1", ports_.any6), 0);
  // A workload always reaches its own listeners.
  EXPECT_EQ(reach_from("srv", AF_INET, "127.0.0.1", ports_.v4_other), 0);
}

TEST_F(SegmentTest, AuditModeReportsWithoutDenying) {
  start_server();
  apply("audit");
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.1", ports_.v4_allowed), 0);
  auto d = denial_of(last_child_, ports_.v4_allowed);
  ASSERT_TRUE(d) << "audit mode reports what enforce would deny";
  EXPECT_TRUE(d->audit);
  EXPECT_EQ(enforcer_->describe(d->generation, d->policy_id, d->rule).policy, "api");
}

TEST_F(SegmentTest, EndpointsGoWhenTheSocketsClose) {
  start_server();
  EXPECT_EQ(endpoints_of(srv_id_), 5u);
  stop_server();
  EXPECT_EQ(endpoints_of(srv_id_), 0u);
  apply("enforce");
  // Nobody listens: the connect is refused by the stack, not by a stale endpoint.
  EXPECT_EQ(reach_from("b", AF_INET, "127.0.0.1", ports_.v4_allowed), ECONNREFUSED);
}

// Pods of one node: a caller in another network namespace names the listener by its address.
TEST_F(SegmentTest, CallersInAnotherNetworkNamespaceAreChecked) {
  auto ns = testing::linked_namespaces("198.18.7", "fd7a:7a74");
  ASSERT_TRUE(ns) << ns.error().message();
  start_server(ns->server.get(), "198.18.7.2", "fd7a:7a74::2");
  apply("enforce");
  // The server's binds noted its namespace; the agent reads it at once, before any scan.
  EXPECT_FALSE(listed_netns("198.18.7.2"));
  EXPECT_EQ(namespaces_->learn_pending(), 1u);
  auto netns = listed_netns("198.18.7.2");
  ASSERT_TRUE(netns);
  EXPECT_NE(*netns, 0u);
  EXPECT_EQ(listed_netns("fd7a:7a74::2"), netns);
  EXPECT_FALSE(listed_netns("198.18.7.1")) << "the client's namespace bound nothing and was not scanned";

  const TestNetns* from = ns->callers.get();
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.7.2", ports_.v4_allowed, from), 0);
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.7.2", ports_.v4_other, from), EPERM) << "a port no rule allows";
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.7.2", ports_.v4_allowed, from), EPERM);
  auto d = denial_of(last_child_, ports_.v4_allowed);
  ASSERT_TRUE(d) << "no denial record for the refused connect";
  EXPECT_EQ(d->daddr.to_string(), "198.18.7.2");
  EXPECT_EQ(enforcer_->describe(d->generation, d->policy_id, d->rule).policy, "api");
  // Wildcard binds are reached through the namespace's addresses; IPv4 reaches a dual-stack `::`.
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.7.2", ports_.any4, from), 0);
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.7.2", ports_.any4, from), EPERM);
  EXPECT_EQ(reach_from("a", AF_INET6, "fd7a:7a74::2", ports_.v6, from), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "fd7a:7a74::2", ports_.v6, from), EPERM);
  EXPECT_EQ(reach_from("a", AF_INET6, "fd7a:7a74::2", ports_.any6, from), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "fd7a:7a74::2", ports_.any6, from), EPERM);
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.7.2", ports_.any6, from), EPERM);
}

// A pod of another node: no namespace of this node holds its address; the cluster's pod list says
// which policy selects it, and every port of it is checked (its listeners are not known here).
TEST_F(SegmentTest, PodsOfOtherNodesAreCheckedOnEveryPort) {
  auto ns = testing::linked_namespaces("198.18.12", "fd7a:7a77");
  ASSERT_TRUE(ns) << ns.error().message();
  // The server's namespace is never read: it stands for another node.
  start_server(ns->server.get(), "198.18.12.2", "fd7a:7a77::2");
  const TestNetns* from = ns->callers.get();
  apply("enforce");
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.12.2", ports_.v4_allowed, from), 0) << "unknown address: not checked";

  apply("enforce", {{IpAddress::parse("198.18.12.2")->mapped(), 0}, {IpAddress::parse("fd7a:7a77::2")->mapped(), 0}});
  EXPECT_FALSE(listed_netns("198.18.12.2"));
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.12.2", ports_.v4_allowed, from), 0);
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.12.2", ports_.v4_other, from), EPERM) << "a port no rule allows";
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.12.2", ports_.v4_allowed, from), EPERM);
  auto d = denial_of(last_child_, ports_.v4_allowed);
  ASSERT_TRUE(d) << "no denial record for the refused connect";
  EXPECT_EQ(d->daddr.to_string(), "198.18.12.2");
  enforce::DenialNames names = enforcer_->describe(d->generation, d->policy_id, d->rule);
  EXPECT_EQ(names.policy, "api");
  EXPECT_EQ(names.rule, "ingress.default");
  EXPECT_EQ(reach_from("a", AF_INET6, "fd7a:7a77::2", ports_.v6, from), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "fd7a:7a77::2", ports_.v6, from), EPERM);
}

// Listeners bound before the agent attached: the first read of their namespace lists them with the
// socket iterators, as their binds would have.
TEST_F(SegmentTest, ListenersOlderThanTheAgentAreListedWhenTheirNamespaceIsRead) {
  auto ns = testing::linked_namespaces("198.18.14", "fd7a:7a78");
  ASSERT_TRUE(ns) << ns.error().message();
  start_server(ns->server.get(), "198.18.14.2", "fd7a:7a78::2");
  forget_endpoints_of(srv_id_);
  ASSERT_EQ(endpoints_of(srv_id_), 0u);
  apply("enforce");
  auto scan = namespaces_->scan();
  ASSERT_TRUE(scan) << scan.error().message();
  EXPECT_EQ(endpoints_of(srv_id_), 5u) << "the server's five sockets, listed again";
  EXPECT_GE(namespaces_->seeded(), 5u);
  const TestNetns* from = ns->callers.get();
  EXPECT_EQ(reach_from("b", AF_INET, "198.18.14.2", ports_.any4, from), EPERM);
  EXPECT_EQ(reach_from("a", AF_INET, "198.18.14.2", ports_.any4, from), 0);
  EXPECT_EQ(reach_from("b", AF_INET6, "fd7a:7a78::2", ports_.v6, from), EPERM);
  // A second scan reads the namespace again but does not list anything twice.
  size_t seeded = namespaces_->seeded();
  ASSERT_TRUE(namespaces_->scan());
  EXPECT_EQ(namespaces_->seeded(), seeded);
}

// A scan lists the namespaces of every process, binds or not, and forgets those no process is in.
TEST_F(SegmentTest, ScansListEveryNamespaceAndForgetTheGoneOnes) {
  auto ns = testing::linked_namespaces("198.18.8", "fd7a:7a75");
  ASSERT_TRUE(ns) << ns.error().message();
  // The same address in two namespaces names neither (on a veth pair inside each: no dummy module).
  for (const TestNetns* each : {ns->callers.get(), ns->server.get()}) {
    ASSERT_TRUE(each->ip({"link", "add", "ztai2", "type", "veth", "peer", "name", "ztai3"}));
    ASSERT_TRUE(each->ip({"addr", "add", "198.18.9.1/32", "dev", "ztai2"}));
    ASSERT_TRUE(each->ip({"link", "set", "ztai2", "up"}));
  }
  auto scan = namespaces_->scan();
  ASSERT_TRUE(scan) << scan.error().message();
  EXPECT_GE(scan->read, 3u) << "the host's and the test's two";
  auto in_a = listed_netns("198.18.8.1"), in_b = listed_netns("198.18.8.2");
  ASSERT_TRUE(in_a && in_b);
  EXPECT_NE(*in_a, *in_b);
  EXPECT_EQ(listed_netns("fd7a:7a75::2"), in_b);
  EXPECT_EQ(listed_netns("198.18.9.1"), uint64_t{ZTAI_LOCAL_ADDR_SHARED});
  EXPECT_FALSE(listed_netns("127.0.0.1")) << "loopback never leaves its namespace";

  ns->server.reset();
  scan = namespaces_->scan();
  ASSERT_TRUE(scan) << scan.error().message();
  EXPECT_GE(scan->forgotten, 1u);
  EXPECT_FALSE(listed_netns("198.18.8.2"));
  EXPECT_EQ(listed_netns("198.18.9.1"), in_a) << "now only one namespace holds it";
}

}  // namespace
}  // namespace ztai
