// Which names resolved to an address, learnt from the DNS answers processes received, so a later
// connect to that address carries net.dns.names. Entries expire with the record's TTL (never
// sooner than min_ttl: programs keep using an address after a TTL of 0 or 5 s), and the table is
// bounded: past max_addresses, the entries closest to expiry go first, and are counted.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/common/ip_address.h"
#include "agent/protocols/dns/dns_message.h"

namespace ztai::dns {

struct NameTableSettings {
  size_t max_addresses = 65536;
  size_t max_names_per_address = 16;
  uint32_t min_ttl_seconds = 60;
};

class NameTable {
 public:
  explicit NameTable(NameTableSettings settings = {}) : settings_(settings) {}

  // Learns the A/AAAA answers of a response received at now_ns (CLOCK_BOOTTIME). Each address is
  // known by its record's name and by every name that leads to it through CNAMEs.
  void learn(const Message& response, uint64_t now_ns);

  // Names of an address that have not expired at now_ns, oldest first. IPv4-mapped IPv6
  // addresses are looked up as IPv4.
  std::vector<std::string> names_for(const IpAddress& address, uint64_t now_ns) const;

  size_t size() const { return by_address_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Name {
    std::string name;
    uint64_t expires_ns;
  };
  void add(const IpAddress& address, const std::string& name, uint64_t expires_ns);
  void make_room(uint64_t now_ns);

  NameTableSettings settings_;
  std::unordered_map<IpAddress, std::vector<Name>, IpAddressHash> by_address_;
  uint64_t evicted_ = 0;
};

}  // namespace ztai::dns
