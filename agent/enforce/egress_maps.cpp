#include "agent/enforce/egress_maps.h"

#include <cstring>

#include <bpf/bpf.h>

#include "agent/kernel/map_keys.h"

namespace ztai::enforce {

Result<uint32_t> EgressMaps::generation() const {
  uint32_t zero = 0;
  ztai_policy_state s{};
  if (bpf_map_lookup_elem(fds_.state, &zero, &s) != 0) return bpf_map_error("reading the policy generation");
  return s.generation & 1;
}

Status EgressMaps::set_generation(uint32_t generation) {
  uint32_t zero = 0;
  ztai_policy_state s{generation & 1, 0};
  if (bpf_map_update_elem(fds_.state, &zero, &s, BPF_ANY) != 0) return bpf_map_error("flipping the policy generation");
  return {};
}

Status EgressMaps::put_cgroup(uint64_t cgroup_id, uint32_t generation, const ztai_policy_cgroup& value) {
  ztai_policy_cgroup_key key{cgroup_id, generation & 1, 0};
  if (bpf_map_update_elem(fds_.cgroups, &key, &value, BPF_ANY) != 0) {
    return bpf_map_error("writing a cgroup's policy (ztai_policy_cgroups full?)");
  }
  return {};
}

Status EgressMaps::put_prefix(const ztai_egress_key& key, const ztai_egress_value& value) {
  if (bpf_map_update_elem(fds_.prefixes, &key, &value, BPF_ANY) != 0) {
    return bpf_map_error("writing an egress prefix (ztai_egress_prefixes full?)");
  }
  return {};
}

Status EgressMaps::put_ingress(const ztai_ingress_key& key, const ztai_egress_value& value) {
  if (fds_.ingress < 0) return make_error(ErrorCode::kUnsupported, "segmentation is not loaded (ztai_ingress_allow)");
  if (bpf_map_update_elem(fds_.ingress, &key, &value, BPF_ANY) != 0) {
    return bpf_map_error("writing an ingress rule (ztai_ingress_allow full?)");
  }
  return {};
}

Status EgressMaps::put_remote_pod(const std::array<uint8_t, 16>& address, uint32_t generation,
                                  const ztai_policy_cgroup& value) {
  ztai_remote_pod_key key{};
  std::memcpy(key.addr, address.data(), 16);
  key.generation = generation & 1;
  if (bpf_map_update_elem(fds_.remote_pods, &key, &value, BPF_ANY) != 0) {
    return bpf_map_error("writing a pod of another node (ztai_remote_pods full?)");
  }
  return {};
}

Status EgressMaps::clear_generation(uint32_t generation) {
  auto cgroups = bpf_map_keys<ztai_policy_cgroup_key>(fds_.cgroups, "listing a policy map");
  if (!cgroups) return cgroups.error();
  for (const auto& k : *cgroups) {
    if (k.generation == (generation & 1)) bpf_map_delete_elem(fds_.cgroups, &k);
  }
  auto prefixes = bpf_map_keys<ztai_egress_key>(fds_.prefixes, "listing a policy map");
  if (!prefixes) return prefixes.error();
  for (const auto& k : *prefixes) {
    if ((k.policy_slot & 1) == (generation & 1)) bpf_map_delete_elem(fds_.prefixes, &k);
  }
  if (fds_.remote_pods >= 0) {
    auto pods = bpf_map_keys<ztai_remote_pod_key>(fds_.remote_pods, "listing a policy map");
    if (!pods) return pods.error();
    for (const auto& k : *pods) {
      if (k.generation == (generation & 1)) bpf_map_delete_elem(fds_.remote_pods, &k);
    }
  }
  if (fds_.ingress < 0) return {};
  auto ingress = bpf_map_keys<ztai_ingress_key>(fds_.ingress, "listing a policy map");
  if (!ingress) return ingress.error();
  for (const auto& k : *ingress) {
    if ((k.policy_slot & 1) == (generation & 1)) bpf_map_delete_elem(fds_.ingress, &k);
  }
  return {};
}

Result<std::vector<uint64_t>> EgressMaps::cgroups_in(uint32_t generation) const {
  auto keys = bpf_map_keys<ztai_policy_cgroup_key>(fds_.cgroups, "listing a policy map");
  if (!keys) return keys.error();
  std::vector<uint64_t> out;
  for (const auto& k : *keys) {
    if (k.generation == (generation & 1)) out.push_back(k.cgroup_id);
  }
  return out;
}

Status EgressMaps::quarantine(uint64_t cgroup_id) {
  uint32_t one = 1;
  if (bpf_map_update_elem(fds_.quarantine, &cgroup_id, &one, BPF_ANY) != 0) return bpf_map_error("quarantining a cgroup");
  return {};
}

Status EgressMaps::release(uint64_t cgroup_id) {
  if (bpf_map_delete_elem(fds_.quarantine, &cgroup_id) != 0 && errno != ENOENT) {
    return bpf_map_error("releasing a cgroup from quarantine");
  }
  return {};
}

Result<std::vector<uint64_t>> EgressMaps::quarantined() const { return bpf_map_keys<uint64_t>(fds_.quarantine, "listing a policy map"); }

}  // namespace ztai::enforce
