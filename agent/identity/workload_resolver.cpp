#include "agent/identity/workload_resolver.h"

#include <fstream>
#include <sstream>

#include "agent/common/log.h"
#include "agent/identity/spiffe.h"

namespace ztai {

std::string_view resolution_name(Resolution r) {
  switch (r) {
    case Resolution::kHost: return "host";
    case Resolution::kResolved: return "resolved";
    case Resolution::kPending: return "pending";
    case Resolution::kUnavailable: return "unavailable";
    case Resolution::kFailed: return "failed";
  }
  return "failed";
}

WorkloadResolver::WorkloadResolver(WorkloadResolverSettings settings, CgroupPaths& paths, const PodStore* pods,
                                   MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      paths_(paths),
      pods_(pods),
      v1_only_(metrics.counter("ztai_identity_v1_only_events_total",
                               "Events of containers found only in cgroup v1: per-container enforcement is not possible "
                               "for them")),
      evicted_(metrics.counter("ztai_identity_cache_evicted_total", "Workload identities evicted at the cache cap")) {
  for (Resolution r : {Resolution::kHost, Resolution::kResolved, Resolution::kPending, Resolution::kUnavailable,
                       Resolution::kFailed}) {
    by_resolution_[static_cast<size_t>(r)] =
        &metrics.counter("ztai_identity_resolutions_total", "Events by how completely their workload was identified",
                         {{"resolution", std::string(resolution_name(r))}});
  }
  metrics.gauge("ztai_cgroup_hybrid", "1 when cgroup v1 hierarchies are mounted next to v2: containers that live only "
                                      "in v1 cannot be enforced per container")
      .set(settings_.hybrid ? 1 : 0);
  unresolved_.resolution = Resolution::kFailed;
}

const WorkloadIdentity* WorkloadResolver::resolve(const Event& event) {
  const EventHeader& hdr = event.hdr;
  if (const CgroupPayload* cg = event.as<CgroupPayload>()) {
    if (hdr.type == EventType::kCgroupMkdir) {
      paths_.on_mkdir(cg->id, cg->path);
    } else {
      paths_.on_rmdir(cg->id);
    }
    by_cgroup_.erase(cg->id);
  }
  const WorkloadIdentity* w = by_cgroup(hdr.cgroup_id);
  if (settings_.hybrid) w = from_v1(event, w);
  count(*w);
  return w;
}

const WorkloadIdentity* WorkloadResolver::by_cgroup(uint64_t cgroup_id) {
  auto it = by_cgroup_.find(cgroup_id);
  if (it != by_cgroup_.end()) {
    CacheEntry& e = it->second;
    if (!pods_ || e.identity->cgroup.kind != WorkloadKind::kPod || e.pod_generation == pods_->generation()) {
      return e.identity.get();
    }
    e.pod_generation = pods_->generation();
    complete(*e.identity);
    return e.identity.get();
  }
  auto built = build(cgroup_id);
  if (!built) {
    unresolved_.cgroup_id = cgroup_id;
    return &unresolved_;
  }
  if (by_cgroup_.size() >= settings_.max_entries) {
    by_cgroup_.erase(by_cgroup_.begin());
    evicted_.inc();
  }
  CacheEntry& e = by_cgroup_[cgroup_id];
  e.identity = std::move(built);
  e.pod_generation = pods_ ? pods_->generation() : 0;
  return e.identity.get();
}

std::shared_ptr<WorkloadIdentity> WorkloadResolver::build(uint64_t cgroup_id) {
  const std::string* path = paths_.find(cgroup_id);
  if (!path) return nullptr;
  auto w = std::make_shared<WorkloadIdentity>();
  w->cgroup_id = cgroup_id;
  w->cgroup_path = *path;
  w->cgroup = parse_cgroup_path(*path);
  complete(*w);
  return w;
}

void WorkloadResolver::complete(WorkloadIdentity& w) {
  const CgroupWorkload& c = w.cgroup;
  w.pod = nullptr;
  w.container = nullptr;
  switch (c.kind) {
    case WorkloadKind::kHost:
      w.resolution = Resolution::kHost;
      w.name = settings_.host_name;
      break;
    case WorkloadKind::kContainer:
      w.resolution = Resolution::kResolved;
      w.name = c.container_id.substr(0, 12);
      break;
    case WorkloadKind::kSystemdService:
    case WorkloadKind::kSystemdScope:
    case WorkloadKind::kUserSession:
      w.resolution = Resolution::kResolved;
      w.name = c.systemd_unit;
      break;
    case WorkloadKind::kPod:
      w.name = c.pod_uid;
      if (!pods_) {
        w.resolution = Resolution::kUnavailable;
        break;
      }
      w.pod = pods_->find(c.pod_uid);
      if (!w.pod) {
        w.resolution =
            pods_->state() == PodStore::State::kUnreachable ? Resolution::kUnavailable : Resolution::kPending;
        break;
      }
      w.name = w.pod->name;
      // The pod sandbox and conmon have no entry in containerStatuses; a pod-level cgroup has
      // no container at all.
      if (!c.container_id.empty() && !c.container_monitor) w.container = w.pod->container(c.container_id);
      w.resolution = w.container || c.container_id.empty() || c.container_monitor ? Resolution::kResolved
                                                                                  : Resolution::kPending;
      break;
  }
  w.spiffe_id = spiffe_id(w, settings_.trust_domain, settings_.node_name);
}

const WorkloadIdentity* WorkloadResolver::from_v1(const Event& event, const WorkloadIdentity* v2) {
  if (v2->cgroup.kind == WorkloadKind::kPod || v2->cgroup.kind == WorkloadKind::kContainer) return v2;
  const ProcKey& key = event.hdr.proc;
  if (const ForkPayload* fork = event.as<ForkPayload>()) {
    // cgroup v1 membership is inherited: the child is where its parent is.
    if (auto it = by_process_.find(key); it != by_process_.end()) by_process_[fork->child] = it->second;
  }
  auto it = by_process_.find(key);
  if (it == by_process_.end()) {
    if (by_process_.size() >= settings_.max_entries) {
      by_process_.erase(by_process_.begin());
      evicted_.inc();
    }
    it = by_process_.emplace(key, CacheEntry{read_v1(key.tgid), pods_ ? pods_->generation() : 0}).first;
  }
  CacheEntry& e = it->second;
  const WorkloadIdentity* out = v2;
  if (e.identity) {
    e.identity->cgroup_id = event.hdr.cgroup_id;
    if (pods_ && e.identity->cgroup.kind == WorkloadKind::kPod && e.pod_generation != pods_->generation()) {
      e.pod_generation = pods_->generation();
      complete(*e.identity);
    }
    out = e.identity.get();
  }
  if (event.hdr.type == EventType::kExit) {
    last_exited_ = e.identity;  // keeps `out` alive until the next call
    by_process_.erase(it);
  }
  return out;
}

std::shared_ptr<WorkloadIdentity> WorkloadResolver::read_v1(uint32_t tgid) {
  std::ifstream in(settings_.proc_root + "/" + std::to_string(tgid) + "/cgroup");
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  for (const ProcCgroupLine& line : parse_proc_cgroup(text.str())) {
    if (line.hierarchy == 0) continue;
    CgroupWorkload c = parse_cgroup_path(line.path);
    if (c.kind != WorkloadKind::kPod && c.kind != WorkloadKind::kContainer) continue;
    auto w = std::make_shared<WorkloadIdentity>();
    w->from_v1 = true;
    w->cgroup_path = line.path;
    w->cgroup = std::move(c);
    complete(*w);
    if (!warned_v1_) {
      warned_v1_ = true;
      log::warn("container {} lives only in cgroup v1 ({}): it shares its cgroup v2 with the host, so per-container "
                "policies cannot be enforced for it; events say workload.enforceable=false "
                "(ztai_identity_v1_only_events_total counts them)",
                w->name, line.path);
    }
    return w;
  }
  return nullptr;
}

void WorkloadResolver::count(const WorkloadIdentity& w) {
  by_resolution_[static_cast<size_t>(w.resolution)]->inc();
  if (w.from_v1) v1_only_.inc();
}

}  // namespace ztai
