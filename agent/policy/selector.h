// Selectors -> cgroup v2 ids. A policy applies to every cgroup its selector matches and to all
// cgroups below them (a pod's containers, a service's sub-cgroups, cgroups made later), since the
// kernel knows a task only by its own, deepest cgroup.
#pragma once

#include <array>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/identity/cgroup_workload.h"
#include "agent/identity/pod_store.h"
#include "agent/policy/workload_policy.h"

namespace ztai::policy {

// What the agent knows about one cgroup when it resolves selectors.
struct CgroupFacts {
  uint64_t id = 0;
  std::string path;                        // relative to the cgroup v2 mount, "/" for the root
  CgroupWorkload workload;                 // parse_cgroup_path(path)
  std::shared_ptr<const PodInfo> pod;      // when the pod store knows workload.pod_uid
  std::vector<std::string> exes;           // /proc/PID/exe of the processes in it
};

bool selector_matches(const Selector& s, const CgroupFacts& c);

// Every cgroup below mount (the mount included, as "/"), with its processes' binaries when
// read_exes (only process selectors need them); pods may be nullptr. Unreadable entries are
// skipped: the agent lacks access or the cgroup went away.
Result<std::vector<CgroupFacts>> scan_cgroups(const std::string& mount, const PodStore* pods,
                                              const std::string& proc_root = "/proc", bool read_exes = true);

// cgroup id -> index of the policy that governs it. A cgroup inherits the policy of its nearest
// selected ancestor; when several policies select the same cgroup, the first loaded wins and the
// others get a note in `conflicts` ("file:line: policy B also selects /x, governed by A").
struct PolicyTargets {
  std::map<uint64_t, size_t> by_cgroup;
  std::vector<size_t> matched_count;  // per policy: cgroups it governs
  std::vector<std::string> conflicts;
  // Pods of other nodes, by address (IPv4 mapped) -> index of the policy that selects them.
  std::map<std::array<uint8_t, 16>, size_t> remote_pods;
};
PolicyTargets resolve_targets(const std::vector<WorkloadPolicy>& policies, const std::vector<CgroupFacts>& cgroups);

// A policy filtering ingress whose selector is made of k8s namespace and labels only: it can govern
// pods on other nodes (cgroups, units, images and binaries are facts of one node).
bool filters_ingress_of_pods_anywhere(const WorkloadPolicy& p);

// Fills targets.remote_pods: the pods of nodes other than this_node that a policy with ingress
// rules selects (filters_ingress_of_pods_anywhere), by their IPs; host-network pods are left out,
// their IPs being their node's. The first loaded policy wins, as for cgroups.
void resolve_remote_pods(const std::vector<WorkloadPolicy>& policies,
                         const std::vector<std::shared_ptr<const PodInfo>>& pods, const std::string& this_node,
                         PolicyTargets& targets);

}  // namespace ztai::policy
