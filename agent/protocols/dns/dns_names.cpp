#include "agent/protocols/dns/dns_names.h"

#include <algorithm>
#include <set>

namespace ztai::dns {
namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000ULL;
constexpr size_t kMaxCnameHops = 8;

}  // namespace

void NameTable::learn(const Message& response, uint64_t now_ns) {
  if (!response.is_response || response.rcode != 0) return;
  for (const ResourceRecord& rr : response.answers) {
    if (!rr.address) continue;
    // The names that lead to this record: its owner, then whoever points to it by CNAME.
    std::set<std::string> names = {rr.name};
    std::string current = rr.name;
    for (size_t hop = 0; hop < kMaxCnameHops; ++hop) {
      auto alias = std::find_if(response.answers.begin(), response.answers.end(), [&](const ResourceRecord& c) {
        return c.type == kTypeCname && c.target == current && !names.count(c.name);
      });
      if (alias == response.answers.end()) break;
      names.insert(alias->name);
      current = alias->name;
    }
    uint64_t ttl = std::max<uint64_t>(rr.ttl, settings_.min_ttl_seconds);
    for (const std::string& n : names) add(rr.address->unmapped(), n, now_ns + ttl * kNsPerSecond);
  }
  if (by_address_.size() > settings_.max_addresses) make_room(now_ns);
}

void NameTable::add(const IpAddress& address, const std::string& name, uint64_t expires_ns) {
  std::vector<Name>& names = by_address_[address];
  for (Name& n : names) {
    if (n.name == name) {
      n.expires_ns = std::max(n.expires_ns, expires_ns);
      return;
    }
  }
  if (names.size() >= settings_.max_names_per_address) {
    auto soonest = std::min_element(names.begin(), names.end(),
                                    [](const Name& a, const Name& b) { return a.expires_ns < b.expires_ns; });
    names.erase(soonest);
    ++evicted_;
  }
  names.push_back({name, expires_ns});
}

void NameTable::make_room(uint64_t now_ns) {
  for (auto it = by_address_.begin(); it != by_address_.end();) {
    auto& names = it->second;
    names.erase(std::remove_if(names.begin(), names.end(), [&](const Name& n) { return n.expires_ns <= now_ns; }),
                names.end());
    it = names.empty() ? by_address_.erase(it) : std::next(it);
  }
  if (by_address_.size() <= settings_.max_addresses) return;
  // Still full of live entries: drop the addresses whose names expire first, down to 90% so
  // this scan does not run on every answer.
  std::vector<std::pair<uint64_t, IpAddress>> order;
  order.reserve(by_address_.size());
  for (const auto& [addr, names] : by_address_) {
    uint64_t latest = 0;
    for (const Name& n : names) latest = std::max(latest, n.expires_ns);
    order.emplace_back(latest, addr);
  }
  size_t target = settings_.max_addresses - settings_.max_addresses / 10;
  size_t excess = by_address_.size() - target;
  std::nth_element(order.begin(), order.begin() + static_cast<ptrdiff_t>(excess), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < excess; ++i) by_address_.erase(order[i].second);
  evicted_ += excess;
}

std::vector<std::string> NameTable::names_for(const IpAddress& address, uint64_t now_ns) const {
  std::vector<std::string> out;
  auto it = by_address_.find(address.unmapped());
  if (it == by_address_.end()) return out;
  for (const Name& n : it->second) {
    if (n.expires_ns > now_ns) out.push_back(n.name);
  }
  return out;
}

}  // namespace ztai::dns
