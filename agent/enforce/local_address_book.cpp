#include "agent/enforce/local_address_book.h"

#include "bpf/abi/policy.h"

namespace ztai::enforce {
namespace {

IpAddress of_mapped(const std::array<uint8_t, 16>& m) { return IpAddress::v6(m.data()).unmapped(); }

}  // namespace

std::vector<LocalAddressBook::Write> LocalAddressBook::set(uint64_t netns, const std::vector<IpAddress>& addresses) {
  std::set<std::array<uint8_t, 16>> now;
  for (const IpAddress& a : addresses) now.insert(a.mapped());
  std::set<std::array<uint8_t, 16>>& before = by_netns_[netns];
  std::set<std::array<uint8_t, 16>> touched;
  for (const auto& m : before) {
    if (now.count(m)) continue;
    auto h = holders_.find(m);
    h->second.erase(netns);
    if (h->second.empty()) holders_.erase(h);
    touched.insert(m);
  }
  for (const auto& m : now) {
    if (before.count(m)) continue;
    holders_[m].insert(netns);
    touched.insert(m);
  }
  before = std::move(now);
  std::vector<Write> writes;
  for (const auto& m : touched) {
    IpAddress a = of_mapped(m);
    writes.push_back({a, value_of(a)});
  }
  return writes;
}

std::vector<LocalAddressBook::Write> LocalAddressBook::remove(uint64_t netns) {
  std::vector<Write> writes = set(netns, {});
  by_netns_.erase(netns);
  return writes;
}

std::vector<uint64_t> LocalAddressBook::namespaces() const {
  std::vector<uint64_t> out;
  for (const auto& [netns, addrs] : by_netns_) out.push_back(netns);
  return out;
}

std::optional<uint64_t> LocalAddressBook::value_of(const IpAddress& a) const {
  auto h = holders_.find(a.mapped());
  if (h == holders_.end()) return std::nullopt;
  return h->second.size() == 1 ? *h->second.begin() : uint64_t{ZTAI_LOCAL_ADDR_SHARED};
}

}  // namespace ztai::enforce
