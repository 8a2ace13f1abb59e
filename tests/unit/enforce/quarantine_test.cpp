#include "agent/enforce/quarantine.h"

#include <gtest/gtest.h>

namespace ztai::enforce {
namespace {

policy::CgroupFacts cgroup(uint64_t id, const std::string& path) {
  policy::CgroupFacts c;
  c.id = id;
  c.path = path;
  c.workload = parse_cgroup_path(path);
  return c;
}

std::vector<std::string> paths(const Result<std::vector<const policy::CgroupFacts*>>& r) {
  std::vector<std::string> out;
  if (r) {
    for (const auto* c : *r) out.push_back(c->path);
  }
  return out;
}

TEST(WorkloadRef, ParsesTheFormsPoliciesSelectBy) {
  auto r = parse_workload_ref("/ztai.slice/job.scope/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, WorkloadRef::Kind::kCgroupPath);
  EXPECT_EQ(r->str(), "/ztai.slice/job.scope");
  r = parse_workload_ref("container:ABCDEF0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str(), "container:abcdef0123456789");
  EXPECT_EQ(parse_workload_ref("pod:ml/server")->kind, WorkloadRef::Kind::kPod);
  EXPECT_EQ(parse_workload_ref("unit:vllm.service")->value, "vllm.service");
  for (const char* bad : {"", "server", "container:abc", "container:xyz0123456789", "pod:ml", "pod:/x", "pod:a/b/c",
                          "unit:", "/a/../b", "/a/.."}) {
    auto e = parse_workload_ref(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message().find("container:ID"), std::string::npos) << e.error().message();
  }
}

TEST(WorkloadRef, ResolvesToTheNamedCgroupsAndEverythingBelow) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::vector<policy::CgroupFacts> all = {
      cgroup(1, "/"),
      cgroup(2, "/system.slice"),
      cgroup(3, "/system.slice/vllm.service"),
      cgroup(4, "/system.slice/vllm.service/worker"),
      cgroup(5, "/system.slice/vllm.services"),
      cgroup(6, "/system.slice/docker-" + id + ".scope"),
      cgroup(7, "/system.slice/ztai.service"),
  };
  EXPECT_EQ(paths(resolve_workload(*parse_workload_ref("/system.slice/vllm.service"), all, "/system.slice/ztai.service")),
            (std::vector<std::string>{"/system.slice/vllm.service", "/system.slice/vllm.service/worker"}));
  EXPECT_EQ(paths(resolve_workload(*parse_workload_ref("unit:vllm.service"), all, "")),
            (std::vector<std::string>{"/system.slice/vllm.service", "/system.slice/vllm.service/worker"}));
  EXPECT_EQ(paths(resolve_workload(*parse_workload_ref("container:" + id.substr(0, 12)), all, "")),
            (std::vector<std::string>{"/system.slice/docker-" + id + ".scope"}));

  auto none = resolve_workload(*parse_workload_ref("/system.slice/nothing"), all, "");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no cgroup matches"), std::string::npos);
  auto root = resolve_workload(*parse_workload_ref("/"), all, "");
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().message().find("root cgroup"), std::string::npos);
  auto self = resolve_workload(*parse_workload_ref("/system.slice"), all, "/system.slice/ztai.service");
  ASSERT_FALSE(self);
  EXPECT_NE(self.error().message().find("agent itself"), std::string::npos);
  EXPECT_FALSE(resolve_workload(*parse_workload_ref("pod:ml/server"), all, "")) << "no pod metadata, no pod";
}

}  // namespace
}  // namespace ztai::enforce
