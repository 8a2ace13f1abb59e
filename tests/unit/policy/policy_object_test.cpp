// A WorkloadPolicy object from the API server becomes a policy file the parser reads as if written
// by hand, and through a KubeFolderSync an object added, changed and deleted on the server shows up
// as that file.
#include "agent/policy/policy_object.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "agent/identity/kube_object_folder.h"
#include "agent/policy/policy_parser.h"
#include "tests/support/eventually.h"
#include "tests/support/kube_api_double.h"

namespace ztai::policy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::eventually;

json object(const std::string& name, const std::string& mode) {
  return {{"apiVersion", "ztai.io/v1alpha1"},
          {"kind", "WorkloadPolicy"},
          {"metadata", {{"name", name}, {"uid", "uid-" + name}, {"resourceVersion", "7"}, {"managedFields", json::array()}}},
          {"spec",
           {{"selector", {{"cgroup", "/ztai-test.slice/*"}}},
            {"mode", mode},
            {"egress", {{"default", "deny"}, {"allow", {{{"cidr", "10.0.0.0/8"}, {"ports", {5432}}}}}}}}}};
}

TEST(PolicyObject, ReadsAsThePolicyFileItStandsFor) {
  auto file = policy_file_of(object("model-server", "audit"));
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->first, "model-server");
  EXPECT_EQ(file->second.find("managedFields"), std::string::npos) << "server metadata is not policy";
  auto policies = parse_policy_text(file->second, "model-server.yaml");
  ASSERT_TRUE(policies) << policies.error().message() << "\n" << file->second;
  ASSERT_EQ(policies->size(), 1u);
  EXPECT_EQ((*policies)[0].name, "model-server");
  EXPECT_EQ((*policies)[0].mode, Mode::kAudit);
  EXPECT_TRUE((*policies)[0].egress.present);
}

TEST(PolicyObject, AnErrorInTheObjectNamesItsFileAndLine) {
  json bad = object("model-server", "audit");
  bad["spec"]["mode"] = "maybe";
  auto file = policy_file_of(bad);
  ASSERT_TRUE(file);
  auto policies = parse_policy_text(file->second, "/var/lib/ztai/workloadpolicies/model-server.yaml");
  ASSERT_FALSE(policies);
  EXPECT_NE(policies.error().message().find("model-server.yaml:"), std::string::npos) << policies.error().message();
  EXPECT_FALSE(policy_file_of(json{{"metadata", {{"name", "x"}}}})) << "no spec";
}

TEST(PolicyObject, ObjectsOnTheServerBecomeFilesAndGoAway) {
  auto api = testing::KubeApiDouble::start();
  ASSERT_TRUE(api) << api.error().message();
  std::string tmpl = (fs::temp_directory_path() / "ztai-policies-XXXXXX").string();
  std::string dir = mkdtemp(tmpl.data());
  std::string folder = dir + "/workloadpolicies";
  MetricsRegistry metrics;
  std::atomic<int> changes{0};
  {
    KubeWatchSettings w;
    w.api = (*api)->api_config();
    w.path = kWorkloadPoliciesPath;
    w.what = "workload policies";
    w.resource = "workloadpolicies.ztai.io";
    w.metric_prefix = "ztai_k8s_workloadpolicies";
    w.retry_initial_ms = 20;
    ASSERT_TRUE((*api)->add_object(kWorkloadPoliciesPath, object("model-server", "audit").dump()));
    auto sync = KubeFolderSync::start(w, folder, policy_file_of, [&] { ++changes; }, metrics);
    ASSERT_TRUE(sync) << sync.error().message();
    auto loaded = [&] { return load_policies({folder}); };
    ASSERT_TRUE(eventually([&] { return loaded().policies.size() == 1; }));
    EXPECT_EQ(loaded().policies[0].mode, Mode::kAudit);

    ASSERT_TRUE((*api)->modify_object(kWorkloadPoliciesPath, object("model-server", "enforce").dump()));
    ASSERT_TRUE(eventually([&] {
      auto l = loaded();
      return l.policies.size() == 1 && l.policies[0].mode == Mode::kEnforce;
    })) << "audit first, then enforce";

    ASSERT_TRUE((*api)->remove_object(kWorkloadPoliciesPath, "uid-model-server"));
    ASSERT_TRUE(eventually([&] { return loaded().policies.empty(); }));
    // The file goes before the change is told.
    EXPECT_TRUE(eventually([&] { return changes.load() == 3; })) << changes.load();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ztai::policy
