#include "agent/identity/spiffe.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

WorkloadIdentity of_path(const std::string& path) {
  WorkloadIdentity w;
  w.cgroup = parse_cgroup_path(path);
  return w;
}

TEST(Spiffe, PodsAreNamedByNamespaceAndServiceAccount) {
  WorkloadIdentity w = of_path("/kubepods/pod0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a");
  EXPECT_EQ(spiffe_id(w, "example.org", "node-1"), "") << "not known before the API server answers";
  auto pod = std::make_shared<PodInfo>();
  pod->ns = "payments";
  pod->service_account = "api";
  w.pod = pod;
  EXPECT_EQ(spiffe_id(w, "example.org", "node-1"), "spiffe://example.org/ns/payments/sa/api");
}

TEST(Spiffe, OtherWorkloadsAreNamedOnTheirNode) {
  std::string id(64, 'a');
  EXPECT_EQ(spiffe_id(of_path("/docker/" + id), "td", "n1"), "spiffe://td/node/n1/container/docker/" + id);
  EXPECT_EQ(spiffe_id(of_path("/system.slice/sshd.service"), "td", "n1"), "spiffe://td/node/n1/systemd/sshd.service");
  EXPECT_EQ(spiffe_id(of_path("/user.slice/user-1000.slice/session-3.scope"), "td", "n1"),
            "spiffe://td/node/n1/user/1000/systemd/session-3.scope");
  EXPECT_EQ(spiffe_id(of_path("/user.slice/user-1000.slice/user@1000.service"), "td", "n1"),
            "spiffe://td/node/n1/user/1000/systemd/user_401000.service");
  EXPECT_EQ(spiffe_id(of_path("/"), "td", "n1"), "spiffe://td/node/n1/host");
}

TEST(Spiffe, SegmentsAreEscapedWithoutCollisions) {
  EXPECT_EQ(spiffe_segment("a-b.c"), "a-b.c");
  EXPECT_EQ(spiffe_segment("a_b"), "a_5Fb");
  EXPECT_EQ(spiffe_segment("a@b"), "a_40b");
  EXPECT_NE(spiffe_segment("a_40b"), spiffe_segment("a@b"));
  EXPECT_EQ(spiffe_segment("x/y"), "x_2Fy");
  EXPECT_EQ(spiffe_segment(".."), "_2E_2E");
}

}  // namespace
}  // namespace ztai
