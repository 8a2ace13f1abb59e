#include "agent/fields/workload_fields.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

class WorkloadFieldsTest : public ::testing::Test {
 protected:
  FieldList fields(const WorkloadIdentity* w, std::vector<std::string> names) {
    EventContext ctx{event_, nullptr, processes_, clock_, w};
    return extract_fields(builtin_fields(), ctx, names);
  }
  FieldValue one(const WorkloadIdentity* w, const std::string& name) {
    FieldList l = fields(w, {name});
    return l.empty() ? FieldValue() : l[0].second;
  }

  Event event_{};
  MetricsRegistry metrics_;
  ProcessTable processes_{{}, "host", metrics_};
  BootClock clock_;
};

TEST_F(WorkloadFieldsTest, EveryOutputFieldIsRegistered) {
  for (const std::string& name : workload_output_fields()) {
    EXPECT_TRUE(builtin_fields().resolve(name)) << name;
  }
  EXPECT_TRUE(builtin_fields().resolve("k8s.pod.labels[app]"));
  EXPECT_TRUE(builtin_fields().resolve("k8s.pod.label[app]"));
  EXPECT_FALSE(builtin_fields().resolve("k8s.pod.label")) << "Falco's singular form needs a key";
}

TEST_F(WorkloadFieldsTest, HostProcessesFollowFalcosContainerConvention) {
  WorkloadIdentity host;
  host.cgroup_path = "/";
  host.resolution = Resolution::kHost;
  host.name = "node-1";
  EXPECT_EQ(std::get<std::string>(one(&host, "container.id")), "host");
  EXPECT_EQ(std::get<std::string>(one(&host, "container.name")), "host");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(&host, "container.image")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(&host, "k8s.pod.name")));
  EXPECT_EQ(std::get<std::string>(one(&host, "workload.resolution")), "host");
  // An unknown cgroup is not the host: no container.id at all, and the resolution says why.
  WorkloadIdentity unknown;
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(&unknown, "container.id")));
  EXPECT_EQ(std::get<std::string>(one(&unknown, "workload.resolution")), "failed");
  EXPECT_FALSE(std::get<bool>(one(&unknown, "workload.enforceable")));
}

TEST_F(WorkloadFieldsTest, PodLabelsByKeyAndAsAList) {
  WorkloadIdentity w;
  w.cgroup = parse_cgroup_path("/kubepods/pod0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a/" + std::string(64, 'c'));
  auto pod = std::make_shared<PodInfo>();
  pod->name = "api";
  pod->ns = "payments";
  pod->labels = {{"app", "api"}, {"tier", "web"}};
  pod->containers = {{std::string(64, 'c'), "server", "api:1"}};
  w.pod = pod;
  w.container = &pod->containers[0];
  w.resolution = Resolution::kResolved;
  EXPECT_EQ(std::get<std::string>(one(&w, "k8s.pod.labels[tier]")), "web");
  EXPECT_EQ(std::get<std::string>(one(&w, "k8s.pod.label[app]")), "api");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(one(&w, "k8s.pod.labels[missing]")));
  EXPECT_EQ(std::get<std::vector<std::string>>(one(&w, "k8s.pod.labels")),
            (std::vector<std::string>{"app:api", "tier:web"}));
  EXPECT_EQ(std::get<std::string>(one(&w, "container.image")), "api:1");
  EXPECT_EQ(std::get<std::string>(one(&w, "container.id")), std::string(12, 'c'));
  EXPECT_EQ(std::get<std::string>(one(&w, "k8s.pod.qos")), "Guaranteed");
}

TEST_F(WorkloadFieldsTest, WithoutAResolverThereAreNoWorkloadFields) {
  EXPECT_TRUE(fields(nullptr, workload_output_fields()).empty());
}

}  // namespace
}  // namespace ztai
