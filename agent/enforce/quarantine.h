// Quarantine: a workload's cgroups go into the kernel's deny-all set (ztai_quarantine: every
// connect and unconnected send fails, bpf/egress.bpf.c) and its established TCP connections are
// aborted (bpf/quarantine.bpf.c, run once per network namespace the workload uses); release takes
// them out again. The set is separate from the policy generations, so reloads keep it.
//
// A workload is named the way policies select one:
//   /a.slice/b.scope           a cgroup path below the cgroup v2 mount (its sub-cgroups with it)
//   container:ID               a container by id (at least 12 hex digits of it)
//   pod:NAMESPACE/NAME         a Kubernetes pod (needs pod metadata)
//   unit:NAME                  a systemd unit (sshd.service, session-3.scope)
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/enforce/egress_maps.h"
#include "agent/policy/selector.h"

namespace ztai::enforce {

struct WorkloadRef {
  enum class Kind { kCgroupPath, kContainer, kPod, kUnit } kind = Kind::kCgroupPath;
  std::string value;  // path, container id, "ns/name", unit
  std::string str() const;  // as the operator writes it
};

// Parses the forms above; errors say which forms exist.
Result<WorkloadRef> parse_workload_ref(const std::string& text);

// The cgroups a reference names and every cgroup below them, by id. Refuses a reference that
// names nothing, the root cgroup, or a cgroup holding `self_cgroup` (the agent must keep
// reaching its outputs).
Result<std::vector<const policy::CgroupFacts*>> resolve_workload(const WorkloadRef& ref,
                                                                  const std::vector<policy::CgroupFacts>& cgroups,
                                                                  const std::string& self_cgroup);

struct QuarantineOutcome {
  std::string workload;              // WorkloadRef::str()
  std::vector<std::string> cgroups;  // paths, as quarantined or released
  size_t connections_cut = 0;
  bool changed = false;  // false: it was already quarantined (or already released)
  std::string cut_error;  // why connections could not be cut, when they could not
};

class Quarantine {
 public:
  // cut_program: the iter/tcp program's fd, -1 when this kernel cannot abort connections
  // (connects are still denied; the outcome says the connections stay).
  Quarantine(EgressMaps maps, int cut_program, std::string cgroup_mount, const PodStore* pods);

  // The workload a cgroup belongs to: its pod, else its container, else the cgroup path.
  Result<WorkloadRef> workload_of(uint64_t cgroup_id) const;

  Result<QuarantineOutcome> quarantine(const WorkloadRef& ref);
  Result<QuarantineOutcome> release(const WorkloadRef& ref);
  // Quarantined workloads and their cgroup ids; cgroups the kernel holds that no request of this
  // agent named (an earlier agent's, with enforcement.persist) are listed by path.
  std::map<std::string, std::set<uint64_t>> list() const;

 private:
  Result<std::vector<policy::CgroupFacts>> scan() const;
  // Aborts the TCP connections of quarantined cgroups in every network namespace their
  // processes use; the number aborted.
  Result<size_t> cut(const std::vector<const policy::CgroupFacts*>& cgroups) const;

  EgressMaps maps_;
  int cut_program_;
  std::string mount_;
  const PodStore* pods_;
  std::string self_cgroup_;
  mutable std::mutex mutex_;
  std::map<std::string, std::set<uint64_t>> held_;  // by WorkloadRef::str()
};

}  // namespace ztai::enforce
