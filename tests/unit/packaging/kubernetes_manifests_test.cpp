// packaging/kubernetes as `kubectl kustomize` renders it: every object has the fields the API
// requires, references between objects resolve, and the DaemonSet gives the agent everything its
// start-up checks look for (agent/kernel/preflight) with an API its probes can reach.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "agent/config/agent_config.h"
#include "agent/kernel/preflight.h"
#include "tests/support/shell_command.h"

namespace ztai {
namespace {

class KubernetesManifests : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto [out, rc] = testing::run_shell("kubectl kustomize " ZTAI_SOURCE_DIR "/packaging/kubernetes");
    rendered_ = out;
    rc_ = rc;
    if (rc != 0) return;
    for (const YAML::Node& doc : YAML::LoadAll(out)) {
      objects_.push_back(doc);
      by_kind_[doc["kind"].as<std::string>("")].push_back(doc);
    }
  }
  void SetUp() override { ASSERT_EQ(rc_, 0) << rendered_; }

  static YAML::Node one(const std::string& kind) {
    auto it = by_kind_.find(kind);
    EXPECT_TRUE(it != by_kind_.end() && it->second.size() == 1) << "exactly one " << kind;
    return it == by_kind_.end() ? YAML::Node() : it->second.front();
  }
  static YAML::Node named(const std::string& kind, const std::string& name) {
    for (const YAML::Node& o : by_kind_[kind]) {
      if (o["metadata"]["name"].as<std::string>("") == name) return o;
    }
    return YAML::Node();
  }
  static YAML::Node agent_container() { return one("DaemonSet")["spec"]["template"]["spec"]["containers"][0]; }

  static inline std::string rendered_;
  static inline int rc_ = -1;
  static inline std::vector<YAML::Node> objects_;
  static inline std::map<std::string, std::vector<YAML::Node>> by_kind_;
};

TEST_F(KubernetesManifests, EveryObjectHasTheFieldsTheApiRequires) {
  const std::set<std::string> cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                                                "CustomResourceDefinition"};
  const std::map<std::string, std::string> api_versions = {
      {"Namespace", "v1"}, {"ServiceAccount", "v1"}, {"ConfigMap", "v1"}, {"Service", "v1"},
      {"ClusterRole", "rbac.authorization.k8s.io/v1"}, {"ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
      {"DaemonSet", "apps/v1"}, {"CustomResourceDefinition", "apiextensions.k8s.io/v1"}};
  for (const YAML::Node& o : objects_) {
    std::string kind = o["kind"].as<std::string>("");
    ASSERT_TRUE(api_versions.count(kind)) << "unexpected kind " << kind;
    EXPECT_EQ(o["apiVersion"].as<std::string>(""), api_versions.at(kind)) << kind;
    std::string name = o["metadata"]["name"].as<std::string>("");
    EXPECT_FALSE(name.empty()) << kind << " without metadata.name";
    EXPECT_LE(name.size(), 253u);
    if (cluster_scoped.count(kind)) {
      EXPECT_FALSE(o["metadata"]["namespace"]) << kind << " " << name << " is cluster-scoped";
    } else {
      EXPECT_EQ(o["metadata"]["namespace"].as<std::string>(""), "ztai-system") << kind << " " << name;
    }
  }
  for (const char* kind : {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet", "Service"}) {
    EXPECT_TRUE(by_kind_.count(kind)) << kind << " missing";
  }
  EXPECT_EQ(by_kind_["ConfigMap"].size(), 3u) << "config, rules, policies";
  EXPECT_EQ(by_kind_["CustomResourceDefinition"].size(), 2u) << "WorkloadPolicy, RuleBundle";
}

TEST_F(KubernetesManifests, RbacReadsPodsNodesAndTheCrdsAndNothingElse) {
  YAML::Node role = one("ClusterRole");
  std::map<std::string, std::set<std::string>> granted;  // resource -> verbs
  for (const YAML::Node& rule : role["rules"]) {
    ASSERT_TRUE(rule["apiGroups"] && rule["resources"] && rule["verbs"]);
    for (const YAML::Node& r : rule["resources"]) {
      for (const YAML::Node& v : rule["verbs"]) granted[r.as<std::string>()].insert(v.as<std::string>());
    }
  }
  const std::set<std::string> read = {"get", "list", "watch"};
  EXPECT_EQ(granted, (std::map<std::string, std::set<std::string>>{
                         {"pods", read}, {"nodes", read}, {"workloadpolicies", read}, {"rulebundles", read}}));
  YAML::Node binding = one("ClusterRoleBinding");
  EXPECT_EQ(binding["roleRef"]["apiGroup"].as<std::string>(""), "rbac.authorization.k8s.io");
  EXPECT_EQ(binding["roleRef"]["kind"].as<std::string>(""), "ClusterRole");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(""), role["metadata"]["name"].as<std::string>());
  YAML::Node subject = binding["subjects"][0];
  EXPECT_EQ(subject["kind"].as<std::string>(""), "ServiceAccount");
  EXPECT_TRUE(named("ServiceAccount", subject["name"].as<std::string>("")));
  EXPECT_EQ(one("DaemonSet")["spec"]["template"]["spec"]["serviceAccountName"].as<std::string>(""),
            subject["name"].as<std::string>(""));
}

TEST_F(KubernetesManifests, CrdsAreStructuralWithOneStoredVersionAndTheAgentsApiVersion) {
  for (const YAML::Node& crd : by_kind_["CustomResourceDefinition"]) {
    const YAML::Node spec = crd["spec"];
    std::string group = spec["group"].as<std::string>("");
    EXPECT_EQ(group, "ztai.io");
    EXPECT_EQ(crd["metadata"]["name"].as<std::string>(""), spec["names"]["plural"].as<std::string>("") + "." + group)
        << "the API requires <plural>.<group>";
    EXPECT_TRUE(spec["names"]["kind"] && spec["scope"]);
    int stored = 0;
    for (const YAML::Node& v : spec["versions"]) {
      EXPECT_EQ(v["name"].as<std::string>(""), "v1alpha1") << "policy files say apiVersion ztai.io/v1alpha1";
      EXPECT_TRUE(v["served"].as<bool>(false));
      stored += v["storage"].as<bool>(false);
      EXPECT_EQ(v["schema"]["openAPIV3Schema"]["type"].as<std::string>(""), "object");
      EXPECT_EQ(v["schema"]["openAPIV3Schema"]["properties"]["spec"]["type"].as<std::string>(""), "object");
    }
    EXPECT_EQ(stored, 1);
  }
  EXPECT_TRUE(named("CustomResourceDefinition", "workloadpolicies.ztai.io"));
  EXPECT_TRUE(named("CustomResourceDefinition", "rulebundles.ztai.io"));
}

TEST_F(KubernetesManifests, DaemonSetMountsEverythingThePreflightChecks) {
  YAML::Node pod = one("DaemonSet")["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["hostPID"].as<bool>(false)) << "/proc must list the host's processes";
  std::map<std::string, std::string> host_paths;  // volume name -> host path
  std::set<std::string> config_maps;
  for (const YAML::Node& v : pod["volumes"]) {
    if (v["hostPath"]) host_paths[v["name"].as<std::string>()] = v["hostPath"]["path"].as<std::string>();
    if (v["configMap"]) config_maps.insert(v["configMap"]["name"].as<std::string>());
  }
  std::map<std::string, std::string> mounted;  // container path -> host path
  for (const YAML::Node& m : agent_container()["volumeMounts"]) {
    std::string volume = m["name"].as<std::string>();
    bool declared = host_paths.count(volume) || std::any_of(pod["volumes"].begin(), pod["volumes"].end(),
                                                            [&](const YAML::Node& v) { return v["name"].as<std::string>() == volume; });
    EXPECT_TRUE(declared) << "mount of an undeclared volume " << volume;
    if (host_paths.count(volume)) mounted[m["mountPath"].as<std::string>()] = host_paths[volume];
  }
  PreflightSettings preflight;
  const std::string btf_dir = std::filesystem::path(kKernelBtfPath).parent_path();
  // cgroup v2: identity and cgroup-attached enforcement find it through /proc/mounts.
  for (const std::string& path : {btf_dir, preflight.tracefs, preflight.bpffs, std::string("/sys/fs/cgroup")}) {
    ASSERT_TRUE(mounted.count(path)) << path << " is not mounted";
    EXPECT_EQ(mounted[path], path) << "the host's own " << path;
  }
  // Every ConfigMap the pod uses is one kustomize generated (names carry the content hash).
  for (const std::string& cm : config_maps) EXPECT_TRUE(named("ConfigMap", cm)) << cm;
  const std::set<std::string> caps = [&] {
    std::set<std::string> s;
    for (const YAML::Node& c : agent_container()["securityContext"]["capabilities"]["add"]) s.insert(c.as<std::string>());
    return s;
  }();
  EXPECT_EQ(caps, (std::set<std::string>{"BPF", "PERFMON", "SYS_ADMIN", "NET_ADMIN", "KILL", "SYS_PTRACE",
                                         "DAC_READ_SEARCH"}))
      << "the same set as packaging/systemd/ztai.service";
  EXPECT_EQ(agent_container()["securityContext"]["capabilities"]["drop"][0].as<std::string>(""), "ALL");
  bool tolerates_all = false;
  for (const YAML::Node& t : pod["tolerations"]) tolerates_all |= t["operator"].as<std::string>("") == "Exists" && !t["key"];
  EXPECT_TRUE(tolerates_all) << "runs on every node, tainted or not";
  YAML::Node resources = agent_container()["resources"];
  for (const char* r : {"cpu", "memory"}) {
    EXPECT_TRUE(resources["requests"][r] && resources["limits"][r]) << r;
  }
}

TEST_F(KubernetesManifests, ProbesAndPrometheusReachTheApiTheConfigBinds) {
  YAML::Node config_map;
  for (const YAML::Node& cm : by_kind_["ConfigMap"]) {
    if (cm["data"] && cm["data"]["ztai.yaml"]) config_map = cm;
  }
  ASSERT_TRUE(config_map) << "a ConfigMap with ztai.yaml";
  auto config = parse_agent_config(YAML::Load(config_map["data"]["ztai.yaml"].as<std::string>()), "ztai-config");
  ASSERT_TRUE(config) << config.error().message();
  const std::string& listen = config->api.listen;
  EXPECT_EQ(listen.rfind("127.", 0), std::string::npos) << "a loopback address is out of the kubelet's reach";
  const std::string port = listen.substr(listen.rfind(':') + 1);

  YAML::Node container = agent_container();
  std::map<std::string, std::string> ports;  // name -> number
  for (const YAML::Node& p : container["ports"]) ports[p["name"].as<std::string>()] = p["containerPort"].as<std::string>();
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    YAML::Node get = container[probe]["httpGet"];
    ASSERT_TRUE(get) << probe;
    EXPECT_EQ(get["path"].as<std::string>(""), "/healthz") << probe;
    EXPECT_EQ(ports[get["port"].as<std::string>("")], port) << probe << " probes the port api.listen binds";
  }
  // The config is where the agent is told to read it.
  const YAML::Node args = container["args"];
  std::string config_path;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i].as<std::string>() == "--config") config_path = args[i + 1].as<std::string>();
  }
  bool config_mounted = false;
  for (const YAML::Node& m : container["volumeMounts"]) {
    config_mounted |= config_path == m["mountPath"].as<std::string>() + "/ztai.yaml";
  }
  EXPECT_TRUE(config_mounted) << "--config " << config_path << " is not in a mounted ConfigMap";
  for (const std::string& path : config->rules.paths) {
    EXPECT_TRUE(path == "/usr/share/ztai/rules" || path == "/etc/ztai/rules.d") << path;
  }
  // Every folder the config names is where the pod has it: the image, a ConfigMap, or the state
  // hostPath the agent may write.
  std::set<std::string> mount_paths = {"/usr/share/ztai/rules"};
  for (const YAML::Node& m : container["volumeMounts"]) mount_paths.insert(m["mountPath"].as<std::string>());
  for (const std::string& path : config->enforcement.policies) EXPECT_TRUE(mount_paths.count(path)) << path;
  for (const std::string& path : config->rules.paths) EXPECT_TRUE(mount_paths.count(path)) << path;
  for (const std::string& dir : {config->rules.bundles_dir, config->enforcement.policies_dir}) {
    EXPECT_EQ(dir.rfind("/var/lib/ztai/", 0), 0u) << dir << " must be on the writable state mount";
  }

  YAML::Node service = one("Service");
  EXPECT_EQ(service["metadata"]["annotations"]["prometheus.io/scrape"].as<std::string>(""), "true");
  EXPECT_EQ(service["metadata"]["annotations"]["prometheus.io/port"].as<std::string>(""), port);
  EXPECT_EQ(service["metadata"]["annotations"]["prometheus.io/path"].as<std::string>(""), "/metrics");
  EXPECT_EQ(service["spec"]["ports"][0]["port"].as<std::string>(""), port);
  YAML::Node labels = one("DaemonSet")["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : service["spec"]["selector"]) {
    EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(""), kv.second.as<std::string>())
        << "the Service selects the agent pods";
  }
  YAML::Node selector = one("DaemonSet")["spec"]["selector"]["matchLabels"];
  for (const auto& kv : selector) {
    EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(""), kv.second.as<std::string>())
        << "the DaemonSet's selector must match its template";
  }
}

}  // namespace
}  // namespace ztai
