// Segmentation between network namespaces with the real agent: `ztai run --policy` with a policy
// whose ingress lets only the gateway workload in. The server listens (wildcard bind) in a network
// namespace of its own, the callers sit in another, linked by a veth pair: the agent reads the
// server's namespace when its bind is noted and refuses the other workload's connect to the pod
// address, with an alert naming the receiving policy. Programs attach at the test's cgroup;
// traffic stays inside the test's namespaces. With Kubernetes (the API double), a pod of another
// node that the cluster's pod list puts at an address is segmented the same way.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/support/agent_process.h"
#include "tests/e2e/support/rule_scenario.h"
#include "tests/support/held_listener.h"
#include "tests/support/kernel_test.h"
#include "tests/support/kube_api_double.h"
#include "tests/support/loopback.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_cgroup.h"
#include "tests/support/test_netns.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::AgentProcess;
using testing::TestCgroup;
using testing::TestNetns;

class SegmentPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    auto cg = TestCgroup::create("segment-e2e");
    ASSERT_TRUE(cg) << cg.error().message();
    cgroup_ = std::move(*cg);
    for (const char* child : {"srv", "gateway", "other"}) ASSERT_TRUE(cgroup_->create_child(child));
    relative_ = cgroup_->relative_path();
    auto ns = testing::linked_namespaces("198.18.10", "fd7a:7a76");
    ASSERT_TRUE(ns) << ns.error().message();
    callers_ = std::move(ns->callers);
    pod_ = std::move(ns->server);
    dir_ = files_.path();
    ASSERT_FALSE(dir_.empty());
    std::filesystem::create_directory(dir_ + "/rules");
  }

  // api (selected by `api_selector`) lets only the gateway workload in, on every port.
  void write_config(const std::string& api_selector, const std::string& identity = "") {
    std::ofstream(dir_ + "/policy.yaml") << fmt::format(
        "apiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: api }}\n"
        "spec:\n  selector: {1}\n  ingress:\n    default: deny\n"
        "    allow: [ {{ name: from-gateway, from: {{ workload: gateway }} }} ]\n"
        "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: gateway }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/gateway\" }}\n"
        "---\napiVersion: ztai.io/v1alpha1\nkind: WorkloadPolicy\nmetadata: {{ name: other }}\n"
        "spec:\n  selector: {{ cgroup: \"{0}/other\" }}\n",
        relative_, api_selector);
    std::ofstream(dir_ + "/ztai.yaml") << fmt::format(
        "lock_file: {0}/ztai.lock\napi: {{ listen: \"\", control_socket: {0}/control.sock }}\n"
        "rules: {{ paths: [{0}/rules], bundles_dir: {0}/rulebundles }}\ncapture: {{ tls: false, go_tls: false }}\n{2}"
        "enforcement:\n  policies: [{0}/policy.yaml]\n  root_cgroup: {1}\n",
        dir_, cgroup_->path(), identity);
  }

  int reach_from(const char* child, uint16_t port) {
    int status = TestCgroup::wait(cgroup_->fork_into(
        [&] { return callers_->enter() ? testing::reach(AF_INET, SOCK_STREAM, "198.18.10.2", port) : -1; }, child));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // The other workload is refused (once the agent knows where 198.18.10.2 is: give a loaded machine
  // time), the gateway gets in, and the refusal is one alert naming the receiving policy.
  void expect_only_the_gateway_gets_in(AgentProcess& agent, uint16_t port) {
    int other = 0;
    for (auto until = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < until;) {
      if ((other = reach_from("other", port)) == EPERM) break;
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(other, EPERM) << "the other workload reached the pod address";
    EXPECT_EQ(reach_from("gateway", port), 0);
    nlohmann::json alert = testing::alert_for(agent, "Network policy denial", 0);
    ASSERT_FALSE(alert.is_null()) << "no denial alert";
    std::string output = alert["output"];
    EXPECT_NE(output.find("198.18.10.2"), std::string::npos) << output;
    EXPECT_NE(output.find("policy=api"), std::string::npos) << output;
    EXPECT_NE(output.find("rule=ingress.default"), std::string::npos) << output;
  }

  std::unique_ptr<TestCgroup> cgroup_;
  std::unique_ptr<TestNetns> callers_, pod_;
  testing::TempDir files_{"ztai-segment"};
  std::string relative_, dir_;
};

// A listener of this node in another network namespace: found through that namespace's addresses.
TEST_F(SegmentPolicy, TheAgentChecksCallersInAnotherNetworkNamespace) {
  write_config(fmt::format("{{ cgroup: \"{}/srv\" }}", relative_));
  AgentProcess agent({"run", "--config", dir_ + "/ztai.yaml"});
  ASSERT_TRUE(agent.ready()) << agent.stderr_text();
  EXPECT_EQ(agent.stderr_text().find("only for callers in the receiver's network namespace"), std::string::npos)
      << agent.stderr_text();

  // The server: a wildcard listener in the pod's namespace.
  testing::HeldListener server(*cgroup_, "srv", [&] { return pod_->enter(); });
  ASSERT_NE(server.port(), 0);
  expect_only_the_gateway_gets_in(agent, server.port());
  EXPECT_EQ(server.release(), 0);
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

// A pod of another node: no process of this node is in its namespace (only the test's descriptor
// keeps it), and the cluster's pod list puts pod api-0 of node-2 at 198.18.10.2.
TEST_F(SegmentPolicy, TheAgentChecksCallersOfPodsOnOtherNodes) {
  auto kube = testing::KubeApiDouble::start();
  ASSERT_TRUE(kube) << kube.error().message();
  testing::TestPod api;
  api.uid = "a9e1c6f0-0000-4000-8000-000000000001";
  api.name = "api-0";
  api.ns = "ml";
  api.node = "node-2";
  api.labels = {{"app", "api"}};
  api.ips = {"198.18.10.2", "fd7a:7a76::2"};
  ASSERT_TRUE((*kube)->add(api));
  std::ofstream(dir_ + "/token") << "test-token";
  write_config("{ k8s: { namespace: ml, labels: { app: api } } }",
               fmt::format("identity:\n  node_name: node-1\n  kubernetes: {{ enabled: \"true\", api_server: \"{}\", "
                           "token_file: {}/token, ca_file: {} }}\n",
                           (*kube)->server(), dir_, (*kube)->api_config().ca_file));
  pod_->drop_holder();
  // The listener: made by a thread of this process inside the pod's namespace. This process is not
  // below the agent's root cgroup, so its bind is not listed either.
  std::optional<testing::LoopbackListener> listener;
  std::thread([&] {
    if (pod_->enter()) listener.emplace(AF_INET, SOCK_STREAM, "0.0.0.0");
  }).join();
  ASSERT_TRUE(listener && listener->port);

  AgentProcess agent({"run", "--config", dir_ + "/ztai.yaml"});
  ASSERT_TRUE(agent.ready()) << agent.stderr_text();
  expect_only_the_gateway_gets_in(agent, listener->port);
  EXPECT_NE(agent.stderr_text().find("watching the pods of the whole cluster"), std::string::npos)
      << agent.stderr_text();
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

}  // namespace
}  // namespace ztai
