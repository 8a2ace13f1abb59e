// spec.exec, spec.files, spec.io_uring and spec.unix: the example reads back whole, and each
// mistake is refused with file:line and the key that is wrong.
#include "agent/policy/policy_parser.h"

#include <gtest/gtest.h>

namespace ztai::policy {
namespace {

constexpr const char* kExample = R"(apiVersion: ztai.io/v1alpha1
kind: WorkloadPolicy
metadata: { name: model-server }
spec:
  selector:
    cgroup: "/ztai-test.slice/*"
  exec:
    default: deny
    allow:
      - { path: /usr/bin/python3.11, sha256: "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" }
      - { name: app, path: "/opt/app/bin/*" }
    deny:
      - { path: /usr/bin/curl }
  files:
    deny:
      - { path: /etc/shadow }
      - { path: "/srv/keys/*", access: [read] }
      - { path: /usr/bin/wget, access: [exec] }
  io_uring: deny
  unix:
    deny:
      - { path: /var/run/docker.sock }
)";

std::string error_of(const std::string& from, const std::string& to) {
  std::string s = kExample;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  auto r = parse_policy_text(s, "p.yaml");
  return r ? "" : r.error().message();
}

TEST(ProcessSections, ReadsTheExample) {
  auto r = parse_policy_text(kExample, "p.yaml");
  ASSERT_TRUE(r) << r.error().message();
  const ProcessSpecs& s = r->front().process;
  ASSERT_TRUE(s.exec.present);
  EXPECT_TRUE(s.exec.default_deny);
  ASSERT_EQ(s.exec.allow.size(), 2u);
  EXPECT_EQ(s.exec.allow[0].name, "exec.allow[0]");
  EXPECT_EQ(s.exec.allow[0].path.value, "/usr/bin/python3.11");
  EXPECT_EQ(s.exec.allow[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(s.exec.allow[0].line, 10u);
  EXPECT_EQ(s.exec.allow[1].name, "app");
  EXPECT_EQ(s.exec.allow[1].path.kind, PathPattern::Kind::kPrefix);
  ASSERT_EQ(s.exec.deny.size(), 1u);
  EXPECT_EQ(s.exec.deny[0].name, "exec.deny[0]");
  ASSERT_EQ(s.files.deny.size(), 3u);
  EXPECT_EQ(s.files.deny[0].access, kAccessRead | kAccessWrite) << "read and write when access is left out";
  EXPECT_EQ(s.files.deny[1].access, kAccessRead);
  EXPECT_EQ(s.files.deny[2].access, kAccessExec);
  EXPECT_TRUE(s.io_uring_deny);
  ASSERT_EQ(s.unix_sockets.deny.size(), 1u);
  EXPECT_EQ(s.unix_sockets.deny[0].path, "/var/run/docker.sock");
  EXPECT_EQ(s.unix_sockets.deny[0].name, "unix.deny[0]");
}

TEST(ProcessSections, MistakesNameTheirPlace) {
  struct Case {
    const char* from;
    const char* to;
    const char* want;
  };
  const Case cases[] = {
      {"default: deny", "default: maybe", "p.yaml:8:14: spec.exec.default"},
      {"path: /usr/bin/curl", "path: \"*.sh\"", "spec.exec.deny[0].path: a suffix pattern"},
      {"path: /usr/bin/curl", "path: curl", "spec.exec.deny[0].path"},
      {"- { path: /usr/bin/curl }", "- { path: /usr/bin/curl, sha256: abc }", "a pin only narrows an allow rule"},
      {"sha256: \"BA78", "sha256: \"ZZ78", "expected 64 hexadecimal digits"},
      {"{ name: app, path: \"/opt/app/bin/*\" }", "{ path: \"/opt/app/bin/*\", sha256: x }", "a pin needs an exact path"},
      {"access: [read]", "access: [append]", "'append' is not read, write or exec"},
      {"access: [read]", "access: []", "expected a list of read, write, exec"},
      {"path: \"/srv/keys/*\"", "path: \"*.pem\"", "spec.files.deny[1].path: a suffix pattern"},
      {"io_uring: deny", "io_uring: maybe", "spec.io_uring: 'maybe' is not allow or deny"},
      {"path: /var/run/docker.sock", "path: docker.sock", "spec.unix.deny[0].path: expected an absolute socket path"},
      {"      - { path: /var/run/docker.sock }", "      - { path: /var/run/docker.sock, mode: x }", "mode"},
      {"  exec:\n", "  exec:\n    colour: red\n", "colour"},
  };
  for (const Case& c : cases) {
    std::string e = error_of(c.from, c.to);
    EXPECT_NE(e.find(c.want), std::string::npos) << c.from << " -> " << c.to << ": " << e;
  }
}

TEST(ProcessSections, AbsentSectionsEnforceNothing) {
  auto r = parse_policy_text(R"(apiVersion: ztai.io/v1alpha1
kind: WorkloadPolicy
metadata: { name: quiet }
spec:
  selector: { cgroup: "/a" }
)",
                             "q.yaml");
  ASSERT_TRUE(r) << r.error().message();
  const ProcessSpecs& s = r->front().process;
  EXPECT_FALSE(s.exec.present);
  EXPECT_FALSE(s.files.present);
  EXPECT_FALSE(s.io_uring_deny);
  EXPECT_FALSE(s.unix_sockets.present);
}

}  // namespace
}  // namespace ztai::policy
