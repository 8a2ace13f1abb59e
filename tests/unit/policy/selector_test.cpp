#include "agent/policy/selector.h"

#include <gtest/gtest.h>

#include "agent/policy/policy_parser.h"

namespace ztai::policy {
namespace {

WorkloadPolicy policy_with_selector(const std::string& name, const std::string& selector) {
  auto r = parse_policy_text(fmt::format("apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\n"
                                         "metadata: {{ name: {} }}\nspec:\n  selector: {}\n",
                                         name, selector),
                             name + ".yaml");
  EXPECT_TRUE(r) << r.error().message();
  return r->front();
}

CgroupFacts cgroup(uint64_t id, const std::string& path, std::vector<std::string> exes = {}) {
  CgroupFacts c;
  c.id = id;
  c.path = path;
  c.workload = parse_cgroup_path(path);
  c.exes = std::move(exes);
  return c;
}

constexpr const char* kPodPath =
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234abcd_5678_90ef_1234_567890abcdef.slice/"
    "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";

TEST(Selector, MatchesEachKind) {
  CgroupFacts pod = cgroup(1, kPodPath, {"/usr/bin/python3.11"});
  auto info = std::make_shared<PodInfo>();
  info->uid = "1234abcd-5678-90ef-1234-567890abcdef";
  info->ns = "ml";
  info->labels = {{"app", "llm"}, {"tier", "gpu"}};
  info->containers = {{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "server",
                       "ghcr.io/acme/model:1.2"}};
  ASSERT_EQ(pod.workload.pod_uid, info->uid);
  pod.pod = info;

  EXPECT_TRUE(selector_matches(policy_with_selector("a", "{ k8s: { namespace: ml } }").selector, pod));
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ k8s: { namespace: default } }").selector, pod));
  EXPECT_TRUE(selector_matches(policy_with_selector("a", "{ k8s: { labels: { app: llm } } }").selector, pod));
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ k8s: { labels: { app: web } } }").selector, pod));
  EXPECT_TRUE(selector_matches(policy_with_selector("a", "{ container: { image: \"ghcr.io/acme/*\" } }").selector, pod));
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ container: { image: \"*:2.0\" } }").selector, pod));
  EXPECT_TRUE(selector_matches(policy_with_selector("a", "{ process: { exe: \"/usr/bin/*\" } }").selector, pod));
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ process: { exe: /usr/bin/node } }").selector, pod));
  // All given fields must match.
  EXPECT_FALSE(selector_matches(
      policy_with_selector("a", "{ k8s: { namespace: ml }, process: { exe: /usr/bin/node } }").selector, pod));
  // Without pod metadata, a k8s selector matches nothing rather than everything.
  pod.pod = nullptr;
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ k8s: { namespace: ml } }").selector, pod));

  CgroupFacts svc = cgroup(2, "/system.slice/ollama.service");
  EXPECT_TRUE(selector_matches(policy_with_selector("a", "{ systemd: { unit: ollama.service } }").selector, svc));
  EXPECT_FALSE(selector_matches(policy_with_selector("a", "{ systemd: { unit: \"sshd*\" } }").selector, svc));
}

TEST(Selector, DescendantsInheritTheNearestSelectedAncestor) {
  std::vector<WorkloadPolicy> policies = {policy_with_selector("outer", "{ cgroup: \"/ztai.slice/*\" }"),
                                          policy_with_selector("inner", "{ cgroup: /ztai.slice/b }"),
                                          policy_with_selector("dup", "{ cgroup: /ztai.slice/b }")};
  std::vector<CgroupFacts> cgroups = {cgroup(1, "/"),           cgroup(2, "/ztai.slice"),
                                      cgroup(3, "/ztai.slice/a"), cgroup(4, "/ztai.slice/a/x"),
                                      cgroup(5, "/ztai.slice/b"), cgroup(6, "/ztai.slice/b/y"),
                                      cgroup(7, "/other.slice")};
  PolicyTargets t = resolve_targets(policies, cgroups);
  EXPECT_EQ(t.by_cgroup, (std::map<uint64_t, size_t>{{3, 0}, {4, 0}, {5, 0}, {6, 0}}));
  // /ztai.slice/b is selected by outer first (prefix) and then by inner and dup: conflicts are named.
  ASSERT_EQ(t.conflicts.size(), 2u);
  EXPECT_NE(t.conflicts[0].find("policy 'inner' also selects cgroup /ztai.slice/b, which policy 'outer' governs"),
            std::string::npos)
      << t.conflicts[0];
  EXPECT_EQ(t.matched_count, (std::vector<size_t>{4, 0, 0}));
}

// Pods of other nodes are listed by IP for policies that filter ingress and select by k8s only.
TEST(Selector, RemotePodsOfIngressPoliciesByAddress) {
  auto ingress = [](const std::string& name, const std::string& selector) {
    auto r = parse_policy_text(fmt::format("apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\n"
                                           "metadata: {{ name: {} }}\nspec:\n  selector: {}\n"
                                           "  ingress: {{ default: deny, allow: [] }}\n",
                                           name, selector),
                               name + ".yaml");
    EXPECT_TRUE(r) << r.error().message();
    return r->front();
  };
  std::vector<WorkloadPolicy> policies{
      policy_with_selector("egress-only", "{ k8s: { namespace: ml } }"),
      ingress("by-image", "{ k8s: { namespace: ml }, container: { image: \"ghcr.io/*\" } }"),
      ingress("api", "{ k8s: { namespace: ml, labels: { app: api } } }"),
      ingress("ml", "{ k8s: { namespace: ml } }"),
  };
  auto pod = [](std::string name, std::string node, std::vector<const char*> ips, bool host_network = false,
                std::string app = "api") {
    auto p = std::make_shared<PodInfo>();
    p->name = std::move(name);
    p->ns = "ml";
    p->node = std::move(node);
    p->labels = {{"app", std::move(app)}};
    for (const char* ip : ips) p->ips.push_back(*IpAddress::parse(ip));
    p->host_network = host_network;
    return std::shared_ptr<const PodInfo>(p);
  };
  std::vector<std::shared_ptr<const PodInfo>> pods{
      pod("api-0", "node-2", {"10.244.2.7", "fd00::2:7"}),
      pod("web-0", "node-2", {"10.244.2.8"}, false, "web"),
      pod("here", "node-1", {"10.244.1.7"}),
      pod("host", "node-2", {"192.168.0.12"}, true),
      pod("pending", "", {}),
  };
  PolicyTargets t;
  resolve_remote_pods(policies, pods, "node-1", t);
  std::map<std::string, size_t> got;
  for (const auto& [addr, index] : t.remote_pods) got[IpAddress::v6(addr.data()).unmapped().to_string()] = index;
  // The first policy that filters ingress by k8s only: api (2) before ml (3); egress-only and
  // by-image never; this node's pods, host-network pods and unscheduled ones are not listed.
  EXPECT_EQ(got, (std::map<std::string, size_t>{{"10.244.2.7", 2}, {"fd00::2:7", 2}, {"10.244.2.8", 3}}));
  EXPECT_FALSE(filters_ingress_of_pods_anywhere(policies[0]));
  EXPECT_FALSE(filters_ingress_of_pods_anywhere(policies[1]));
  EXPECT_TRUE(filters_ingress_of_pods_anywhere(policies[2]));
}

}  // namespace
}  // namespace ztai::policy
