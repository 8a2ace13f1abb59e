#include "agent/enforce/fqdn_maps.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/kernel/map_keys.h"

namespace ztai::enforce {
namespace {

ztai_dns_resolver_key resolver_key(const dns::DnsServer& r) {
  ztai_dns_resolver_key k{};
  std::array<uint8_t, 16> addr = r.address.mapped();
  std::memcpy(k.addr, addr.data(), 16);
  k.port = r.port;
  return k;
}

}  // namespace

Status FqdnMaps::put_name(const ztai_fqdn_key& key, const ztai_egress_value& value) {
  if (bpf_map_update_elem(fds_.names, &key, &value, BPF_ANY) != 0) {
    return bpf_map_error("writing an fqdn name (ztai_fqdn_names full?)");
  }
  return {};
}

Status FqdnMaps::put_set(uint32_t policy_slot, uint32_t set_id) {
  ztai_fqdn_set v{set_id, 0};
  if (bpf_map_update_elem(fds_.sets, &policy_slot, &v, BPF_ANY) != 0) return bpf_map_error("writing an fqdn rule set");
  return {};
}

Status FqdnMaps::clear_generation(uint32_t generation) {
  auto names = bpf_map_keys<ztai_fqdn_key>(fds_.names, "listing an fqdn map");
  if (!names) return names.error();
  for (const auto& k : *names) {
    if ((k.policy_slot & 1) == (generation & 1)) bpf_map_delete_elem(fds_.names, &k);
  }
  auto sets = bpf_map_keys<uint32_t>(fds_.sets, "listing an fqdn map");
  if (!sets) return sets.error();
  for (uint32_t slot : *sets) {
    if ((slot & 1) == (generation & 1)) bpf_map_delete_elem(fds_.sets, &slot);
  }
  return {};
}

Status FqdnMaps::set_resolvers(const std::vector<dns::DnsServer>& resolvers) {
  std::vector<ztai_dns_resolver_key> wanted;
  for (const dns::DnsServer& r : resolvers) wanted.push_back(resolver_key(r));
  uint32_t one = 1;
  for (const auto& k : wanted) {
    if (bpf_map_update_elem(fds_.resolvers, &k, &one, BPF_ANY) != 0) {
      return bpf_map_error("writing a DNS resolver (more than 64?)");
    }
  }
  auto present = bpf_map_keys<ztai_dns_resolver_key>(fds_.resolvers, "listing an fqdn map");
  if (!present) return present.error();
  for (const auto& k : *present) {
    bool keep = std::any_of(wanted.begin(), wanted.end(),
                            [&](const auto& w) { return std::memcmp(&w, &k, sizeof(k)) == 0; });
    if (!keep) bpf_map_delete_elem(fds_.resolvers, &k);
  }
  return {};
}

Status FqdnMaps::set_times(const FqdnTimes& times) {
  uint32_t zero = 0;
  ztai_fqdn_config c{times.min_ttl_ns, times.grace_ns, times.pending_ns};
  if (bpf_map_update_elem(fds_.config, &zero, &c, BPF_ANY) != 0) return bpf_map_error("writing the fqdn settings");
  return {};
}

Result<size_t> FqdnMaps::sweep(uint64_t now_ns) {
  auto keys = bpf_map_keys<ztai_fqdn_allowed_key>(fds_.allowed, "listing an fqdn map");
  if (!keys) return keys.error();
  size_t removed = 0;
  for (const auto& k : *keys) {
    ztai_fqdn_allowed v{};
    if (bpf_map_lookup_elem(fds_.allowed, &k, &v) != 0) continue;
    if (v.expires_ns <= now_ns && bpf_map_delete_elem(fds_.allowed, &k) == 0) removed++;
  }
  return removed;
}

Result<size_t> FqdnMaps::allowed_count() const {
  auto keys = bpf_map_keys<ztai_fqdn_allowed_key>(fds_.allowed, "listing an fqdn map");
  if (!keys) return keys.error();
  return keys->size();
}

Result<std::array<uint64_t, ZTAI_FQDN_COUNTERS>> FqdnMaps::counters() const {
  return bpf_percpu_counters<ZTAI_FQDN_COUNTERS>(fds_.counters, "reading the fqdn counters");
}

}  // namespace ztai::enforce
