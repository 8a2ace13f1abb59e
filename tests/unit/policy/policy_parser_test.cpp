#include "agent/policy/policy_parser.h"
#include "agent/policy/spec_sections.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ztai::policy {
namespace {

constexpr const char* kExample = R"(apiVersion: ztai.io/v1alpha1
kind: WorkloadPolicy
metadata: { name: model-server }
spec:
  selector:
    cgroup: "/ztai-test.slice/*"
  mode: audit
  egress:
    default: deny
    allow:
      - { cidr: 10.0.0.0/8, ports: [5432], protocol: tcp }
      - { name: hub, fqdn: "*.HuggingFace.co.", ports: [443, "8000-8080"] }
      - { cidr: "fd00::/8" }
  ingress:
    default: deny
    allow: [ { from: { workload: model-server }, ports: [8000] } ]
)";

std::string error_of(const std::string& text) {
  auto r = parse_policy_text(text, "p.yaml");
  return r ? "" : r.error().message();
}

// Replaces the first occurrence of `from` in the example.
std::string example_with(const std::string& from, const std::string& to) {
  std::string s = kExample;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(PolicyParser, ReadsTheExample) {
  auto r = parse_policy_text(kExample, "p.yaml");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  const WorkloadPolicy& p = r->front();
  EXPECT_EQ(p.name, "model-server");
  EXPECT_EQ(p.where.str(), "p.yaml:1:1");
  EXPECT_EQ(p.mode, Mode::kAudit);
  ASSERT_TRUE(p.selector.cgroup_path);
  EXPECT_EQ(p.selector.cgroup_path->kind, PathPattern::Kind::kPrefix);
  EXPECT_EQ(p.selector.cgroup_path->value, "/ztai-test.slice/");
  ASSERT_TRUE(p.egress.present);
  EXPECT_EQ(p.egress.default_action, DefaultAction::kDeny);
  ASSERT_EQ(p.egress.allow.size(), 3u);
  const EgressRule& db = p.egress.allow[0];
  EXPECT_EQ(db.name, "egress.allow[0]");
  EXPECT_EQ(db.cidr->str(), "10.0.0.0/8");
  EXPECT_EQ(db.ports, (std::vector<PortRange>{{5432, 5432}}));
  EXPECT_EQ(db.protocol, Protocol::kTcp);
  EXPECT_EQ(db.where.str(), "p.yaml:11:9");
  const EgressRule& hub = p.egress.allow[1];
  EXPECT_EQ(hub.name, "hub");
  EXPECT_EQ(hub.fqdn->kind, PathPattern::Kind::kSuffix);
  EXPECT_EQ(hub.fqdn->value, ".huggingface.co");
  EXPECT_EQ(hub.ports, (std::vector<PortRange>{{443, 443}, {8000, 8080}}));
  EXPECT_EQ(hub.protocol, Protocol::kAny);
  EXPECT_EQ(p.egress.allow[2].cidr->str(), "fd00::/8");
  EXPECT_TRUE(p.egress.allow[2].ports.empty());
  ASSERT_EQ(p.ingress.allow.size(), 1u);
  EXPECT_EQ(p.ingress.allow[0].from_workload, "model-server");
}

TEST(PolicyParser, SeveralDocumentsInOneFile) {
  std::string two = std::string(kExample) + "---\n" + example_with("name: model-server", "name: other");
  auto r = parse_policy_text(two, "p.yaml");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].name, "other");
  EXPECT_EQ((*r)[1].where.line, 18u);  // the document's `---`
}

TEST(PolicyParser, ErrorsNameFileLineColumnAndTheField) {
  struct Case {
    std::string from, to, expect;
  };
  std::vector<Case> cases = {
      {"ports: [5432]", "ports: [70000]", "p.yaml:11:37: spec.egress.allow[0].ports: '70000' is not a port"},
      {"ports: [5432]", "ports: [\"90-80\"]", "ends before it starts"},
      {"ports: [5432]", "ports: []", "an empty list allows no port"},
      {"protocol: tcp", "protocol: sctp", "spec.egress.allow[0].protocol: 'sctp' is not tcp, udp or any"},
      {"cidr: 10.0.0.0/8", "cidr: 10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8?"},
      {"cidr: 10.0.0.0/8", "cidr: 10.0.0.0/33", "prefix length must be 0-32"},
      {"cidr: 10.0.0.0/8", "cidr: example", "'example' is not an IPv4 or IPv6 address"},
      {"cidr: 10.0.0.0/8", "fqdn: a.com, cidr: 10.0.0.0/8", "give exactly one of cidr or fqdn"},
      {"\"*.HuggingFace.co.\"", "\"hub.*.co\"", "has a '*' in the middle"},
      {"\"*.HuggingFace.co.\"", "\"*huggingface.co\"", "a wildcard covers whole labels"},
      {"\"*.HuggingFace.co.\"", "\"huggingface*\"", "only a leading '*.' wildcard"},
      {"\"*.HuggingFace.co.\"", "\"a..b\"", "has an empty label"},
      {"\"/ztai-test.slice/*\"", "\"/a/*/b\"", "p.yaml:6:13: spec.selector.cgroup: path pattern '/a/*/b' has a '*' in the middle"},
      {"\"/ztai-test.slice/*\"", "\"*.scope\"", "selected by its path or a parent's path"},
      {"cgroup: \"/ztai-test.slice/*\"", "cgroups: x", "p.yaml:6:5: unknown key 'cgroups' in spec.selector"},
      {"mode: audit", "mode: enforcing", "spec.mode: 'enforcing' is not enforce or audit"},
      {"default: deny", "default: block", "spec.egress.default: 'block' is not allow or deny"},
      {"apiVersion: ztai.io/v1alpha1", "apiVersion: v1", "'v1' is not ztai.io/v1alpha1"},
      {"kind: WorkloadPolicy", "kind: Policy", "'Policy' is not WorkloadPolicy"},
      {"metadata: { name: model-server }", "metadata: { }", "metadata.name: is required"},
      {"{ from: { workload: model-server }, ports: [8000] }", "{ ports: [8000] }", "`from: { workload: NAME }` is required"},
      {"egress:", "egres:", "unknown key 'egres' in spec"},
      {"- { cidr: 10.0.0.0/8", "- { port: 1, cidr: 10.0.0.0/8", "unknown key 'port' in spec.egress.allow[0]"},
      {"ports: [5432]", "ports: [5432", "p.yaml:"},
  };
  for (const Case& c : cases) {
    std::string err = error_of(example_with(c.from, c.to));
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.to << "\n got: " << err;
  }
}

TEST(PolicyParser, SelectorMustNameSomething) {
  EXPECT_NE(error_of(example_with("cgroup: \"/ztai-test.slice/*\"", "{}")).find("spec.selector: names nothing"),
            std::string::npos);
  std::string no_selector = example_with("  selector:\n    cgroup: \"/ztai-test.slice/*\"\n", "");
  EXPECT_NE(error_of(no_selector).find("spec.selector is required"), std::string::npos) << error_of(no_selector);
}

TEST(PolicyParser, EverySelectorKind) {
  auto r = parse_policy_text(example_with("cgroup: \"/ztai-test.slice/*\"",
                                          "k8s: { namespace: ml, labels: { app: llm } }\n"
                                          "    container: { image: \"ghcr.io/acme/model:*\" }\n"
                                          "    systemd: { unit: \"*.service\" }\n"
                                          "    process: { exe: /usr/bin/python3 }"),
                             "p.yaml");
  ASSERT_TRUE(r) << r.error().message();
  const Selector& s = r->front().selector;
  EXPECT_EQ(*s.k8s_namespace, "ml");
  EXPECT_EQ(s.k8s_labels.at("app"), "llm");
  EXPECT_EQ(s.container_image->kind, PathPattern::Kind::kPrefix);
  EXPECT_EQ(s.systemd_unit->value, ".service");
  EXPECT_EQ(s.process_exe->kind, PathPattern::Kind::kExact);
  EXPECT_TRUE(s.needs_kubernetes());
}

TEST(PolicyParser, SetChecksNamesAndIngressPeers) {
  auto a = parse_policy_text(kExample, "a.yaml");
  ASSERT_TRUE(a);
  std::vector<WorkloadPolicy> set = *a;
  set.push_back(a->front());
  set.back().where.file = "b.yaml";
  auto st = check_policy_set(set);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "b.yaml:1:1: policy 'model-server' is already defined at a.yaml:1:1");

  auto b = parse_policy_text(example_with("workload: model-server", "workload: gateway"), "c.yaml");
  ASSERT_TRUE(b);
  st = check_policy_set(*b);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("c.yaml:16:14: from.workload 'gateway' is not the name of a loaded policy"),
            std::string::npos)
      << st.error().message();
}

TEST(PolicyParser, LoadsFoldersAndReportsEveryBadFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / fmt::format("ztai-policy-test-{}", getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "a.yaml") << kExample;
  std::ofstream(dir / "b.yml") << example_with("name: model-server", "name: b") + "x: [";
  std::ofstream(dir / "c.yaml") << example_with("mode: audit", "mode: x");
  std::ofstream(dir / "notes.txt") << "not a policy";
  LoadedPolicies l = load_policies({dir.string()});
  fs::remove_all(dir);
  EXPECT_EQ(l.files.size(), 3u);
  ASSERT_EQ(l.errors.size(), 2u);
  EXPECT_NE(l.errors[0].message().find("b.yml:"), std::string::npos);
  EXPECT_NE(l.errors[1].message().find("c.yaml:7:9: spec.mode"), std::string::npos) << l.errors[1].message();
  EXPECT_EQ(l.policies.size(), 1u);
}

TEST(PolicyParser, MissingFile) {
  LoadedPolicies l = load_policies({"/nonexistent/p.yaml"});
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].message(), "/nonexistent/p.yaml: cannot open the file");
}

TEST(Cidr, Contains) {
  auto c = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(*IpAddress::parse("10.1.200.3")));
  EXPECT_FALSE(c->contains(*IpAddress::parse("10.2.0.1")));
  EXPECT_TRUE(c->contains(*IpAddress::parse("::ffff:10.1.0.9")));
  auto six = parse_cidr("fd00::/9");
  ASSERT_TRUE(six);
  EXPECT_TRUE(six->contains(*IpAddress::parse("fd7f::1")));
  EXPECT_FALSE(six->contains(*IpAddress::parse("fd80::1")));
  EXPECT_EQ(parse_cidr("127.0.0.1")->prefix_len, 32);
}

}  // namespace
}  // namespace ztai::policy
