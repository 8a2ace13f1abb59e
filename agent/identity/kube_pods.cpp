#include "agent/identity/kube_pods.h"

#include <nlohmann/json.hpp>

namespace ztai {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& child(const json& j, const char* key) {
  static const json kEmpty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

// The controller of a pod. Deployments own pods through a ReplicaSet named
// "<deployment>-<pod-template-hash>"; the hash is also a pod label, so the Deployment is found
// without asking the API server for the ReplicaSet.
void read_owner(const json& meta, PodInfo& p) {
  auto refs = meta.find("ownerReferences");
  if (refs == meta.end() || !refs->is_array()) return;
  for (const json& ref : *refs) {
    if (!ref.is_object() || !ref.value("controller", false)) continue;
    p.owner_kind = str(ref, "kind");
    p.owner_name = str(ref, "name");
    break;
  }
  if (p.owner_kind != "ReplicaSet") return;
  auto hash = p.labels.find("pod-template-hash");
  if (hash == p.labels.end()) return;
  std::string suffix = "-" + hash->second;
  if (p.owner_name.size() > suffix.size() && p.owner_name.ends_with(suffix)) {
    p.owner_kind = "Deployment";
    p.owner_name.resize(p.owner_name.size() - suffix.size());
  }
}

void read_statuses(const json& status, const char* key, PodInfo& p) {
  auto list = status.find(key);
  if (list == status.end() || !list->is_array()) return;
  for (const json& s : *list) {
    if (!s.is_object()) continue;
    std::string id(strip_container_scheme(str(s, "containerID")));
    if (id.empty()) continue;  // not started yet
    p.containers.push_back({std::move(id), str(s, "name"), str(s, "image")});
  }
}

}  // namespace

std::string_view strip_container_scheme(std::string_view container_id) {
  size_t at = container_id.find("://");
  return at == std::string_view::npos ? container_id : container_id.substr(at + 3);
}

Result<PodInfo> pod_from_json(const json& pod) {
  if (!pod.is_object()) return make_error(ErrorCode::kInvalidArgument, "pod is not a JSON object");
  const json& meta = child(pod, "metadata");
  PodInfo p;
  p.uid = str(meta, "uid");
  if (p.uid.empty()) return make_error(ErrorCode::kInvalidArgument, "pod without metadata.uid");
  p.name = str(meta, "name");
  p.ns = str(meta, "namespace");
  for (const auto& [k, v] : child(meta, "labels").items()) {
    if (v.is_string()) p.labels.emplace(k, v.get<std::string>());
  }
  read_owner(meta, p);
  const json& spec = child(pod, "spec");
  p.node = str(spec, "nodeName");
  p.service_account = str(spec, "serviceAccountName");
  if (p.service_account.empty()) p.service_account = str(spec, "serviceAccount");
  const json& status = child(pod, "status");
  p.qos = str(status, "qosClass");
  if (auto host = spec.find("hostNetwork"); host != spec.end() && host->is_boolean()) p.host_network = host->get<bool>();
  if (auto ips = status.find("podIPs"); ips != status.end() && ips->is_array()) {
    for (const json& entry : *ips) {
      if (auto ip = IpAddress::parse(str(entry, "ip"))) p.ips.push_back(*ip);
    }
  }
  if (p.ips.empty()) {
    if (auto ip = IpAddress::parse(str(status, "podIP"))) p.ips.push_back(*ip);
  }
  for (const char* key : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    read_statuses(status, key, p);
  }
  return p;
}

}  // namespace ztai
