// The kernel maps of fqdn rules (bpf/abi/fqdn.h): the name trie and rule-set ids per generation
// slot, the trusted resolvers, the TTL settings, the addresses learnt from answers and the DNS
// counters. Holds file descriptors it does not own.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "agent/common/result.h"
#include "agent/protocols/dns/resolv_conf.h"
#include "bpf/abi/fqdn.h"

namespace ztai::enforce {

struct FqdnMapFds {
  int names = -1;      // ztai_fqdn_names
  int sets = -1;       // ztai_fqdn_sets
  int allowed = -1;    // ztai_fqdn_allowed
  int resolvers = -1;  // ztai_dns_resolvers
  int config = -1;     // ztai_fqdn_config
  int counters = -1;   // ztai_fqdn_counters
  bool valid() const {
    return names >= 0 && sets >= 0 && allowed >= 0 && resolvers >= 0 && config >= 0 && counters >= 0;
  }
};

struct FqdnTimes {
  uint64_t min_ttl_ns = 0;
  uint64_t grace_ns = 0;
  uint64_t pending_ns = 0;
};

class FqdnMaps {
 public:
  explicit FqdnMaps(FqdnMapFds fds) : fds_(fds) {}

  Status put_name(const ztai_fqdn_key& key, const ztai_egress_value& value);
  Status put_set(uint32_t policy_slot, uint32_t set_id);
  // Names and set ids of a generation slot.
  Status clear_generation(uint32_t generation);

  // Replaces the trusted resolvers.
  Status set_resolvers(const std::vector<dns::DnsServer>& resolvers);
  Status set_times(const FqdnTimes& times);

  // Deletes the learnt addresses that expired before now_ns (CLOCK_BOOTTIME); how many.
  Result<size_t> sweep(uint64_t now_ns);
  Result<size_t> allowed_count() const;
  // Sums over CPUs, indexed by enum ztai_fqdn_counter.
  Result<std::array<uint64_t, ZTAI_FQDN_COUNTERS>> counters() const;

  const FqdnMapFds& fds() const { return fds_; }

 private:
  FqdnMapFds fds_;
};

}  // namespace ztai::enforce
