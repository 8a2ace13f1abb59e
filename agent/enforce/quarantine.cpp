#include "agent/enforce/quarantine.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <bpf/bpf.h>
#include <fmt/format.h>

#include "agent/identity/procfs.h"
#include "agent/kernel/bpf_iterator.h"
#include "agent/kernel/network_namespace.h"

namespace ztai::enforce {
namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool below(const std::string& path, const std::string& parent) {
  return path == parent || (path.size() > parent.size() && path.compare(0, parent.size(), parent) == 0 &&
                            (parent == "/" || path[parent.size()] == '/'));
}

bool names(const WorkloadRef& ref, const policy::CgroupFacts& c) {
  switch (ref.kind) {
    case WorkloadRef::Kind::kCgroupPath: return c.path == ref.value;
    case WorkloadRef::Kind::kContainer:
      return !c.workload.container_id.empty() && c.workload.container_id.compare(0, ref.value.size(), ref.value) == 0;
    case WorkloadRef::Kind::kPod: return c.pod && c.pod->ns + "/" + c.pod->name == ref.value;
    case WorkloadRef::Kind::kUnit: return c.workload.systemd_unit == ref.value;
  }
  return false;
}

// Processes of a cgroup directory (not below it).
std::vector<uint32_t> pids_in(const std::string& dir) {
  std::vector<uint32_t> out;
  std::ifstream in(dir + "/cgroup.procs");
  uint32_t pid = 0;
  while (in >> pid) out.push_back(pid);
  return out;
}

// Runs the iterator in the calling thread's network namespace; the sockets it aborted.
Result<size_t> run_cut(int prog) {
  auto bytes = run_bpf_iterator(prog, "the TCP iterator");
  if (!bytes) return bytes.error();
  return *bytes / sizeof(uint64_t);
}

}  // namespace

std::string WorkloadRef::str() const {
  switch (kind) {
    case Kind::kCgroupPath: return value;
    case Kind::kContainer: return "container:" + value;
    case Kind::kPod: return "pod:" + value;
    case Kind::kUnit: return "unit:" + value;
  }
  return value;
}

Result<WorkloadRef> parse_workload_ref(const std::string& text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "workload '{}': {}; write a cgroup path (/a.slice/b.scope), container:ID, pod:NAMESPACE/NAME "
                      "or unit:NAME",
                      text, why);
  };
  WorkloadRef r;
  auto after = [&](std::string_view prefix) { return text.substr(prefix.size()); };
  if (text.rfind("container:", 0) == 0) {
    r.kind = WorkloadRef::Kind::kContainer;
    r.value = after("container:");
    std::transform(r.value.begin(), r.value.end(), r.value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!is_hex(r.value) || r.value.size() < 12) return bad("a container id is at least 12 hex digits");
  } else if (text.rfind("pod:", 0) == 0) {
    r.kind = WorkloadRef::Kind::kPod;
    r.value = after("pod:");
    size_t slash = r.value.find('/');
    if (slash == 0 || slash == std::string::npos || slash + 1 == r.value.size() ||
        r.value.find('/', slash + 1) != std::string::npos) {
      return bad("a pod is NAMESPACE/NAME");
    }
  } else if (text.rfind("unit:", 0) == 0) {
    r.kind = WorkloadRef::Kind::kUnit;
    r.value = after("unit:");
    if (r.value.empty() || r.value.find('/') != std::string::npos) return bad("a unit is a name like sshd.service");
  } else if (!text.empty() && text.front() == '/') {
    r.value = text;
    while (r.value.size() > 1 && r.value.back() == '/') r.value.pop_back();
    if (r.value.find("/../") != std::string::npos || r.value.ends_with("/..") || r.value.find("/./") != std::string::npos) {
      return bad("a cgroup path has no . or .. parts");
    }
  } else {
    return bad("unknown form");
  }
  return r;
}

Result<std::vector<const policy::CgroupFacts*>> resolve_workload(const WorkloadRef& ref,
                                                                  const std::vector<policy::CgroupFacts>& cgroups,
                                                                  const std::string& self_cgroup) {
  std::vector<std::string> tops;
  for (const policy::CgroupFacts& c : cgroups) {
    if (names(ref, c)) tops.push_back(c.path);
  }
  if (tops.empty()) return make_error(ErrorCode::kNotFound, "workload '{}': no cgroup matches it", ref.str());
  std::vector<const policy::CgroupFacts*> out;
  for (const policy::CgroupFacts& c : cgroups) {
    if (std::any_of(tops.begin(), tops.end(), [&](const std::string& t) { return below(c.path, t); })) out.push_back(&c);
  }
  for (const std::string& t : tops) {
    if (t == "/") return make_error(ErrorCode::kInvalidArgument, "workload '{}': the root cgroup is never quarantined", ref.str());
    if (!self_cgroup.empty() && below(self_cgroup, t)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "workload '{}': {} holds the agent itself, which must keep reaching its outputs", ref.str(), t);
    }
  }
  return out;
}

Quarantine::Quarantine(EgressMaps maps, int cut_program, std::string cgroup_mount, const PodStore* pods)
    : maps_(maps), cut_program_(cut_program), mount_(std::move(cgroup_mount)), pods_(pods) {
  if (auto self = Procfs("/proc", mount_).read(static_cast<uint32_t>(getpid()))) self_cgroup_ = self->cgroup_path;
}

Result<std::vector<policy::CgroupFacts>> Quarantine::scan() const { return policy::scan_cgroups(mount_, pods_, "/proc", false); }

Result<WorkloadRef> Quarantine::workload_of(uint64_t cgroup_id) const {
  auto cgroups = scan();
  if (!cgroups) return cgroups.error();
  for (const policy::CgroupFacts& c : *cgroups) {
    if (c.id != cgroup_id) continue;
    WorkloadRef r;
    if (c.pod && !c.pod->ns.empty() && !c.pod->name.empty()) {
      r.kind = WorkloadRef::Kind::kPod;
      r.value = c.pod->ns + "/" + c.pod->name;
    } else if (c.workload.container_id.size() >= 12) {
      r.kind = WorkloadRef::Kind::kContainer;
      r.value = c.workload.container_id;
    } else {
      r.value = c.path;
    }
    return r;
  }
  return make_error(ErrorCode::kNotFound, "cgroup id {} is not in the cgroup v2 hierarchy (gone, or cgroup v1 only)",
                    cgroup_id);
}

Result<QuarantineOutcome> Quarantine::quarantine(const WorkloadRef& ref) {
  auto cgroups = scan();
  if (!cgroups) return cgroups.error();
  auto targets = resolve_workload(ref, *cgroups, self_cgroup_);
  if (!targets) return targets.error();
  std::lock_guard lock(mutex_);
  QuarantineOutcome out;
  out.workload = ref.str();
  std::set<uint64_t>& held = held_[out.workload];
  for (const policy::CgroupFacts* c : *targets) {
    // Denied first, then cut: a connection the workload opens after the cut cannot exist.
    if (Status st = maps_.quarantine(c->id); !st) return st.error().context(fmt::format("workload '{}'", out.workload));
    out.changed |= held.insert(c->id).second;
    out.cgroups.push_back(c->path);
  }
  auto cut_n = cut(*targets);
  if (cut_n) {
    out.connections_cut = *cut_n;
  } else {
    out.cut_error = cut_n.error().message();
  }
  return out;
}

Result<QuarantineOutcome> Quarantine::release(const WorkloadRef& ref) {
  auto cgroups = scan();
  if (!cgroups) return cgroups.error();
  auto in_kernel = maps_.quarantined();
  if (!in_kernel) return in_kernel.error();
  std::set<uint64_t> kernel(in_kernel->begin(), in_kernel->end());
  std::lock_guard lock(mutex_);
  QuarantineOutcome out;
  out.workload = ref.str();
  // What this agent quarantined under that name, and what the reference names now that the kernel
  // holds (quarantined by an earlier agent whose maps were adopted, or by the kernel at
  // cgroup_mkdir below a quarantined cgroup).
  std::set<uint64_t> ids;
  if (auto it = held_.find(out.workload); it != held_.end()) ids = it->second;
  if (auto named = resolve_workload(ref, *cgroups, "")) {
    for (const policy::CgroupFacts* c : *named) {
      if (kernel.count(c->id)) ids.insert(c->id);
    }
  }
  std::vector<std::string> paths;
  for (const auto& c : *cgroups) {
    if (ids.count(c.id)) paths.push_back(c.path);
  }
  for (const auto& c : *cgroups) {
    if (kernel.count(c.id) &&
        std::any_of(paths.begin(), paths.end(), [&](const std::string& p) { return below(c.path, p); })) {
      ids.insert(c.id);
    }
  }
  if (ids.empty()) {
    std::string held;
    for (const auto& [name, held_ids] : held_) held += (held.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::kNotFound, "workload '{}' is not quarantined (quarantined: {})", out.workload,
                      held.empty() ? "none" : held);
  }
  for (const auto& c : *cgroups) {
    if (ids.count(c.id)) out.cgroups.push_back(c.path);
  }
  for (uint64_t id : ids) {
    if (Status st = maps_.release(id); !st) return st.error().context(fmt::format("workload '{}'", out.workload));
  }
  held_.erase(out.workload);
  out.changed = true;
  return out;
}

std::map<std::string, std::set<uint64_t>> Quarantine::list() const {
  std::map<std::string, std::set<uint64_t>> out;
  {
    std::lock_guard lock(mutex_);
    out = held_;
  }
  auto in_kernel = maps_.quarantined();
  if (!in_kernel) return out;
  std::set<uint64_t> known;
  for (const auto& [name, ids] : out) known.insert(ids.begin(), ids.end());
  std::map<uint64_t, std::string> path_of;
  if (auto cgroups = scan()) {
    for (const auto& c : *cgroups) path_of[c.id] = c.path;
  }
  std::vector<std::pair<std::string, std::string>> held_paths;  // (path, workload)
  for (const auto& [name, ids] : out) {
    for (uint64_t id : ids) {
      if (path_of.count(id)) held_paths.emplace_back(path_of[id], name);
    }
  }
  for (uint64_t id : *in_kernel) {
    if (known.count(id)) continue;
    auto p = path_of.find(id);
    // Made below a quarantined cgroup: the kernel quarantined it at cgroup_mkdir.
    auto parent = std::find_if(held_paths.begin(), held_paths.end(), [&](const auto& h) {
      return p != path_of.end() && below(p->second, h.first);
    });
    if (parent != held_paths.end()) {
      out[parent->second].insert(id);
      continue;
    }
    out[fmt::format("{} (quarantined by an earlier agent)",
                    p != path_of.end() ? p->second : fmt::format("cgroup id {}", id))]
        .insert(id);
  }
  return out;
}

Result<size_t> Quarantine::cut(const std::vector<const policy::CgroupFacts*>& cgroups) const {
  if (cut_program_ < 0) {
    return make_error(ErrorCode::kUnsupported,
                      "this kernel cannot abort connections (no bpf_sock_destroy): established connections stay open");
  }
  // One process per network namespace the workload uses; the iterator walks the namespace of
  // the thread that opens it.
  struct stat self_ns {};
  stat("/proc/self/ns/net", &self_ns);
  std::map<ino_t, uint32_t> namespaces{{self_ns.st_ino, 0}};
  for (const policy::CgroupFacts* c : cgroups) {
    for (uint32_t pid : pids_in(mount_ + (c->path == "/" ? "" : c->path))) {
      struct stat ns {};
      if (stat(fmt::format("/proc/{}/ns/net", pid).c_str(), &ns) == 0) namespaces.emplace(ns.st_ino, pid);
    }
  }
  size_t total = 0;
  for (const auto& [ino, pid] : namespaces) {
    Result<size_t> n = make_error(ErrorCode::kInternal, "not run");
    if (pid == 0) {
      n = run_cut(cut_program_);
    } else {
      Status st = run_in_network_namespace(fmt::format("/proc/{}/ns/net", pid), [&] {
        n = run_cut(cut_program_);
        return n ? Status() : n.error();
      });
      if (!st) return st.error();
    }
    if (!n) return n.error();
    total += *n;
  }
  return total;
}

}  // namespace ztai::enforce
