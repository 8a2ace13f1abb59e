// Which network namespace of this node holds each address, as the kernel's ztai_local_addrs must
// say it: the namespace's cookie, or ZTAI_LOCAL_ADDR_SHARED when several hold the same address (a
// connect to it cannot be told apart, so it is counted, not guessed). Pure: it returns the map
// writes a change needs, and SegmentNamespaces makes them.
#pragma once

#include <cstdint>
#include <map>
#include <array>
#include <optional>
#include <set>
#include <vector>

#include "agent/common/ip_address.h"

namespace ztai::enforce {

class LocalAddressBook {
 public:
  struct Write {
    IpAddress address;
    std::optional<uint64_t> value;  // the map value to store; nullopt: delete the key
    bool operator==(const Write&) const = default;
  };

  // The namespace holds exactly these addresses now.
  std::vector<Write> set(uint64_t netns, const std::vector<IpAddress>& addresses);
  // The namespace is gone.
  std::vector<Write> remove(uint64_t netns);

  bool knows(uint64_t netns) const { return by_netns_.count(netns) != 0; }
  std::vector<uint64_t> namespaces() const;
  size_t addresses() const { return holders_.size(); }

 private:
  std::optional<uint64_t> value_of(const IpAddress& a) const;

  std::map<uint64_t, std::set<std::array<uint8_t, 16>>> by_netns_;
  std::map<std::array<uint8_t, 16>, std::set<uint64_t>> holders_;
};

}  // namespace ztai::enforce
