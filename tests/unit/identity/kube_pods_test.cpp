#include "agent/identity/kube_pods.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ztai {
namespace {

// Trimmed from a real `kubectl get pod -o json` of a Deployment's pod.
const char* kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "api-7d9f8b6c5d-x2xkq", "namespace": "payments", "uid": "0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a",
    "resourceVersion": "4211", "labels": {"app": "api", "pod-template-hash": "7d9f8b6c5d"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f8b6c5d",
                         "uid": "9a0e", "controller": true, "blockOwnerDeletion": true}]
  },
  "spec": {"nodeName": "node-1", "serviceAccountName": "api", "containers": [{"name": "server", "image": "api:1"}]},
  "status": {
    "phase": "Running", "qosClass": "Burstable",
    "initContainerStatuses": [{"name": "migrate", "image": "docker.io/library/api:1",
                               "containerID": "containerd://1111111111111111111111111111111111111111111111111111111111111111"}],
    "containerStatuses": [
      {"name": "server", "image": "docker.io/library/api:1",
       "containerID": "containerd://8f4b1c7f9b3e2a1d0c5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"},
      {"name": "sidecar", "image": "envoy:1.30", "state": {"waiting": {"reason": "ContainerCreating"}}}
    ]
  }
})";

TEST(KubePods, ReadsWhatIdentityNeeds) {
  auto p = pod_from_json(nlohmann::json::parse(kPod));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->uid, "0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a");
  EXPECT_EQ(p->name, "api-7d9f8b6c5d-x2xkq");
  EXPECT_EQ(p->ns, "payments");
  EXPECT_EQ(p->node, "node-1");
  EXPECT_EQ(p->service_account, "api");
  EXPECT_EQ(p->qos, "Burstable");
  EXPECT_EQ(p->labels.at("app"), "api");
  // Followed through the ReplicaSet to its Deployment.
  EXPECT_EQ(p->owner_kind, "Deployment");
  EXPECT_EQ(p->owner_name, "api");
  // The sidecar has not started: no id, no entry.
  ASSERT_EQ(p->containers.size(), 2u);
  const PodContainer* c = p->container("8f4b1c7f9b3e2a1d0c5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "server");
  EXPECT_EQ(c->image, "docker.io/library/api:1");
  EXPECT_NE(p->container(std::string(64, '1')), nullptr);
}

TEST(KubePods, ReadsThePodAddressesAndHostNetwork) {
  auto j = nlohmann::json::parse(kPod);
  auto p = pod_from_json(j);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->ips.empty()) << "not scheduled yet: no address";
  EXPECT_FALSE(p->host_network);
  j["status"]["podIP"] = "10.244.1.7";
  p = pod_from_json(j);
  ASSERT_EQ(p->ips.size(), 1u);
  EXPECT_EQ(p->ips[0].to_string(), "10.244.1.7");
  // Dual stack: podIPs lists both and wins over podIP; junk entries are skipped.
  j["status"]["podIPs"] = nlohmann::json::parse(R"([{"ip": "10.244.1.7"}, {"ip": "fd00:10:244:1::7"}, {"ip": 7}, "x"])");
  j["spec"]["hostNetwork"] = true;
  p = pod_from_json(j);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->ips.size(), 2u);
  EXPECT_EQ(p->ips[1].to_string(), "fd00:10:244:1::7");
  EXPECT_TRUE(p->host_network);
}

TEST(KubePods, OwnersOtherThanReplicaSetsAreKept) {
  auto j = nlohmann::json::parse(kPod);
  j["metadata"]["ownerReferences"][0]["kind"] = "StatefulSet";
  j["metadata"]["ownerReferences"][0]["name"] = "db";
  auto p = pod_from_json(j);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->owner_kind, "StatefulSet");
  EXPECT_EQ(p->owner_name, "db");
  // A ReplicaSet without the template hash (not made by a Deployment) stays a ReplicaSet.
  j["metadata"]["ownerReferences"][0]["kind"] = "ReplicaSet";
  j["metadata"]["labels"].erase("pod-template-hash");
  p = pod_from_json(j);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->owner_kind, "ReplicaSet");
}

TEST(KubePods, HostileShapesAreErrorsOrIgnored) {
  EXPECT_FALSE(pod_from_json(nlohmann::json::array()));
  EXPECT_FALSE(pod_from_json(nlohmann::json::parse(R"({"metadata": {"name": "x"}})")));
  auto p = pod_from_json(nlohmann::json::parse(
      R"({"metadata": {"uid": "u", "labels": {"a": 1, "b": "ok"}, "ownerReferences": "x"},
          "spec": 3, "status": {"containerStatuses": [1, {"containerID": 2}]}})"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->labels.size(), 1u);
  EXPECT_TRUE(p->containers.empty());
  EXPECT_EQ(strip_container_scheme("cri-o://abc"), "abc");
  EXPECT_EQ(strip_container_scheme("abc"), "abc");
}

}  // namespace
}  // namespace ztai
