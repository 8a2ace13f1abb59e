#include "agent/fields/workload_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

template <typename Get>
FieldValue of_workload(const EventContext& ctx, Get get) {
  return ctx.workload ? FieldValue(get(*ctx.workload)) : FieldValue();
}

// Pod fields exist once the API server has described the pod; until then workload.resolution
// says why they are missing.
template <typename Get>
FieldValue of_pod(const EventContext& ctx, Get get) {
  if (!ctx.workload || !ctx.workload->pod) return {};
  std::string v = get(*ctx.workload->pod);
  return v.empty() ? FieldValue() : FieldValue(std::move(v));
}

bool in_container(const WorkloadIdentity& w) { return !w.cgroup.container_id.empty(); }

// Falco's container.* convention: "host" for processes outside any container.
template <typename Get>
FieldValue of_container(const EventContext& ctx, Get get) {
  const WorkloadIdentity* w = ctx.workload;
  if (!w || w->resolution == Resolution::kFailed) return {};
  if (!in_container(*w)) return std::string("host");
  std::string v = get(*w);
  return v.empty() ? FieldValue() : FieldValue(std::move(v));
}

FieldValue pod_labels(const EventContext& ctx, std::string_view key) {
  if (!ctx.workload || !ctx.workload->pod) return {};
  const auto& labels = ctx.workload->pod->labels;
  if (!key.empty()) {
    auto it = labels.find(std::string(key));
    return it == labels.end() ? FieldValue() : FieldValue(it->second);
  }
  std::vector<std::string> all;
  all.reserve(labels.size());
  for (const auto& [k, v] : labels) all.push_back(k + ":" + v);
  return all;
}

}  // namespace

const std::vector<std::string>& workload_output_fields() {
  static const std::vector<std::string> kFields = {
      "workload.kind",   "workload.name",     "workload.resolution", "workload.enforceable", "workload.cgroup_source",
      "cgroup.path",     "container.id",      "container.full_id",   "container.name",       "container.image",
      "container.runtime", "k8s.ns.name",     "k8s.pod.name",        "k8s.pod.uid",          "k8s.pod.labels",
      "k8s.pod.qos",     "k8s.sa.name",       "k8s.workload.kind",   "k8s.workload.name",    "systemd.unit",
      "spiffe.id"};
  return kFields;
}

void add_workload_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"workload.kind", T::kString, "What acted: pod, container, service, scope, session or host",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_workload(c, [](const WorkloadIdentity& w) { return std::string(workload_kind_name(w.cgroup.kind)); });
          }});
  add(r, {"workload.name", T::kString,
          "Pod name (its UID while pending), short container id, systemd unit, or the host name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_workload(c, [](const WorkloadIdentity& w) { return w.name; });
          }});
  add(r, {"workload.resolution", T::kString,
          "How complete the identity is: resolved, host, pending (the API server has not described the pod or "
          "container yet), unavailable (Kubernetes metadata not configured or unreachable), failed (unknown cgroup)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_workload(c, [](const WorkloadIdentity& w) { return std::string(resolution_name(w.resolution)); });
          }});
  add(r, {"workload.enforceable", T::kBool,
          "Policies keyed by cgroup can act on this workload alone; false for containers found only in cgroup v1 "
          "(hybrid hosts) and for unknown cgroups",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_workload(c, [](const WorkloadIdentity& w) { return w.enforceable(); });
          }});
  add(r, {"workload.cgroup_source", T::kString, "Where the identity came from: v2 (the event's cgroup) or v1",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_workload(c, [](const WorkloadIdentity& w) { return std::string(w.from_v1 ? "v1" : "v2"); });
          }});
  add(r, {"cgroup.path", T::kString, "Path of the acting cgroup below the cgroup mount (the v1 path when from v1)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || c.workload->cgroup_path.empty()) return {};
            return c.workload->cgroup_path;
          }});
  add(r, {"container.id", T::kString, "Container id, first 12 hex digits as docker shows it; 'host' outside containers",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_container(c, [](const WorkloadIdentity& w) { return w.cgroup.container_id.substr(0, 12); });
          }});
  add(r, {"container.full_id", T::kString, "Container id, all 64 hex digits; 'host' outside containers",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_container(c, [](const WorkloadIdentity& w) { return w.cgroup.container_id; });
          }});
  add(r, {"container.name", T::kString,
          "Container name from the pod spec; 'host' outside containers; absent outside Kubernetes",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_container(c, [](const WorkloadIdentity& w) { return w.container ? w.container->name : ""; });
          }});
  add(r, {"container.image", T::kString, "Container image as the pod status reports it; absent outside Kubernetes",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || !c.workload->container || c.workload->container->image.empty()) return {};
            return c.workload->container->image;
          }});
  add(r, {"container.runtime", T::kString, "containerd, cri-o, docker, podman, unknown; 'host' outside containers",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_container(
                c, [](const WorkloadIdentity& w) { return std::string(container_runtime_name(w.cgroup.runtime)); });
          }});
  add(r, {"k8s.ns.name", T::kString, "Namespace of the pod",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_pod(c, [](const PodInfo& p) { return p.ns; });
          }});
  add(r, {"k8s.pod.name", T::kString, "Name of the pod",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_pod(c, [](const PodInfo& p) { return p.name; });
          }});
  add(r, {"k8s.pod.uid", T::kString, "UID of the pod, from its cgroup (known before the API server answers)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || c.workload->cgroup.pod_uid.empty()) return {};
            return c.workload->cgroup.pod_uid;
          }});
  add(r, {"k8s.pod.labels", T::kString, "k8s.pod.labels[KEY]: value of one pod label; no index: every 'key:value'",
          pod_labels, FieldIndex::kOptional});
  add(r, {"k8s.pod.label", T::kString, "k8s.pod.label[KEY]: value of one pod label (Falco's name)", pod_labels,
          FieldIndex::kRequired});
  add(r, {"k8s.pod.qos", T::kString, "QoS class: Guaranteed, Burstable or BestEffort (from the cgroup path)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || c.workload->cgroup.qos == PodQos::kNone) return {};
            return std::string(pod_qos_name(c.workload->cgroup.qos));
          }});
  add(r, {"k8s.sa.name", T::kString, "Service account of the pod",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_pod(c, [](const PodInfo& p) { return p.service_account; });
          }});
  add(r, {"k8s.workload.kind", T::kString, "Controller of the pod: Deployment, StatefulSet, DaemonSet, Job, ...",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_pod(c, [](const PodInfo& p) { return p.owner_kind; });
          }});
  add(r, {"k8s.workload.name", T::kString, "Name of that controller",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_pod(c, [](const PodInfo& p) { return p.owner_name; });
          }});
  add(r, {"systemd.unit", T::kString, "systemd unit of the acting process: sshd.service, session-3.scope",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || c.workload->cgroup.systemd_unit.empty()) return {};
            return c.workload->cgroup.systemd_unit;
          }});
  add(r, {"spiffe.id", T::kString, "SPIFFE id of the workload (docs/identity.md has the scheme)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.workload || c.workload->spiffe_id.empty()) return {};
            return c.workload->spiffe_id;
          }});
  add(r, {"proc.exe_sha256", T::kString,
          "SHA-256 of the executed file (hex), read off the event path: absent until hashed, see proc.exe_hash_status",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.exe_hashes || !c.proc || c.proc->exe_ino == 0) return {};
            ExeHash h = c.exe_hashes->lookup(c.proc->exe_dev, c.proc->exe_ino);
            return h.sha256.empty() ? FieldValue() : FieldValue(std::move(h.sha256));
          }});
  add(r, {"proc.exe_hash_status", T::kString,
          "ok, pending (not hashed yet), deleted (since exec the file was deleted or another renamed over it; the "
          "hash is of the image that ran), modified (being hashed again), too_large, unreadable",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.exe_hashes || !c.proc || c.proc->exe_ino == 0) return {};
            return std::string(exe_hash_status_name(c.exe_hashes->lookup(c.proc->exe_dev, c.proc->exe_ino).status));
          }});
  add(r, {"evt.arg.cgroup_id", T::kUInt, "cgroup_mkdir, cgroup_rmdir: id of the cgroup created or removed",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const CgroupPayload* p = c.event.as<CgroupPayload>();
            return p ? FieldValue(p->id) : FieldValue();
          }});
  add(r, {"evt.arg.cgroup_path", T::kString, "cgroup_mkdir, cgroup_rmdir: its path, as the acting task sees it",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const CgroupPayload* p = c.event.as<CgroupPayload>();
            return p ? FieldValue(p->path) : FieldValue();
          }});
}

}  // namespace ztai
