#include "agent/enforce/egress_compiler.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace ztai::enforce {
namespace {

constexpr uint8_t kMappedLen = 96;  // ::ffff:0:0/96 holds every IPv4 address

std::pair<std::array<uint8_t, 16>, uint8_t> mapped(const policy::Cidr& c) {
  std::array<uint8_t, 16> a{};
  if (c.address.family == IpAddress::Family::kV4) {
    a[10] = a[11] = 0xff;
    std::memcpy(&a[12], c.address.bytes.data(), 4);
    return {a, static_cast<uint8_t>(kMappedLen + c.prefix_len)};
  }
  return {c.address.bytes, c.prefix_len};
}

bool is_v4(const std::array<uint8_t, 16>& a, uint8_t len) {
  static const std::array<uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return len >= kMappedLen && std::equal(prefix.begin(), prefix.end(), a.begin());
}

// Whether prefix outer contains prefix inner.
bool contains(const std::array<uint8_t, 16>& outer, uint8_t outer_len, const std::array<uint8_t, 16>& inner,
              uint8_t inner_len) {
  if (outer_len > inner_len) return false;
  for (unsigned bit = 0; bit < outer_len; bit++) {
    uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((outer[bit / 8] & m) != (inner[bit / 8] & m)) return false;
  }
  return true;
}

uint8_t protocol_number(policy::Protocol p) {
  switch (p) {
    case policy::Protocol::kTcp: return 6;
    case policy::Protocol::kUdp: return 17;
    case policy::Protocol::kAny: break;
  }
  return 0;
}

}  // namespace

std::vector<ztai_port_range> port_ranges(const policy::EgressRule& rule, uint16_t index) {
  std::vector<policy::PortRange> ports = rule.ports;
  if (ports.empty()) ports.push_back({0, 65535});
  std::vector<ztai_port_range> out;
  for (const policy::PortRange& r : ports) out.push_back({r.first, r.last, protocol_number(rule.protocol), 0, index});
  return out;
}

Result<std::vector<EgressPrefix>> compile_egress(const policy::WorkloadPolicy& p) {
  struct Own {
    std::vector<ztai_port_range> ranges;
    const policy::EgressRule* first_rule = nullptr;
  };
  std::map<std::pair<std::array<uint8_t, 16>, uint8_t>, Own> own;
  bool v6_covers_v4 = false;
  static const std::array<uint8_t, 16> v4_all{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
  for (size_t i = 0; i < p.egress.allow.size(); i++) {
    const policy::EgressRule& rule = p.egress.allow[i];
    if (!rule.cidr) continue;  // DNS names are allowed by address as answers arrive
    auto key = mapped(*rule.cidr);
    Own& o = own[key];
    if (!o.first_rule) o.first_rule = &rule;
    if (!is_v4(key.first, key.second) && contains(key.first, key.second, v4_all, kMappedLen)) v6_covers_v4 = true;
    std::vector<ztai_port_range> ranges = port_ranges(rule, static_cast<uint16_t>(i));
    o.ranges.insert(o.ranges.end(), ranges.begin(), ranges.end());
  }
  // An IPv6 rule wide enough to contain ::ffff:0:0/96 must not allow IPv4: give IPv4 its own
  // entry, which only IPv4 rules lend ports to.
  if (v6_covers_v4) own.try_emplace({v4_all, kMappedLen});

  std::vector<EgressPrefix> out;
  for (const auto& [key, o] : own) {
    EgressPrefix e;
    e.addr = key.first;
    e.prefix_len = key.second;
    bool v4 = is_v4(key.first, key.second);
    // The prefix and every wider one: the same address cut to each shorter length.
    for (int len = key.second; len >= 0; len--) {
      std::array<uint8_t, 16> cut = key.first;
      for (int bit = len; bit < 128; bit++) cut[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
      auto it = own.find({cut, static_cast<uint8_t>(len)});
      if (it == own.end()) continue;
      if (v4 && !is_v4(cut, static_cast<uint8_t>(len))) continue;
      e.ranges.insert(e.ranges.end(), it->second.ranges.begin(), it->second.ranges.end());
    }
    if (e.ranges.size() > ZTAI_POLICY_MAX_PORT_RANGES) {
      const policy::EgressRule* r = o.first_rule ? o.first_rule : &p.egress.allow.front();
      return make_error(ErrorCode::kUnsupported,
                        "{}: policy '{}': {} port ranges apply to {} (its rules and the wider rules containing it); "
                        "the kernel entry holds {}: merge ports into ranges",
                        r->where.str(), p.name, e.ranges.size(), r->cidr ? r->cidr->str() : "an address",
                        ZTAI_POLICY_MAX_PORT_RANGES);
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<IngressEntry>> compile_ingress(const std::vector<policy::WorkloadPolicy>& policies, size_t index) {
  const policy::WorkloadPolicy& p = policies[index];
  std::map<uint32_t, IngressEntry> by_caller;
  if (!p.ingress.present || p.ingress.default_action != policy::DefaultAction::kDeny) return std::vector<IngressEntry>{};
  for (size_t i = 0; i < p.ingress.allow.size(); i++) {
    const policy::IngressRule& rule = p.ingress.allow[i];
    auto from = std::find_if(policies.begin(), policies.end(), [&](const auto& q) { return q.name == rule.from_workload; });
    if (from == policies.end()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: policy '{}': from.workload '{}' is not a loaded policy",
                        rule.where.str(), p.name, rule.from_workload);
    }
    IngressEntry& e = by_caller[static_cast<uint32_t>(from - policies.begin() + 1)];
    e.from_policy = static_cast<uint32_t>(from - policies.begin() + 1);
    std::vector<policy::PortRange> ports = rule.ports;
    if (ports.empty()) ports.push_back({0, 65535});
    for (const policy::PortRange& r : ports) {
      e.ranges.push_back({r.first, r.last, protocol_number(rule.protocol), 0, static_cast<uint16_t>(i)});
    }
    if (e.ranges.size() > ZTAI_POLICY_MAX_PORT_RANGES) {
      return make_error(ErrorCode::kUnsupported,
                        "{}: policy '{}': {} port ranges let '{}' in; the kernel entry holds {}: merge ports into ranges",
                        rule.where.str(), p.name, e.ranges.size(), rule.from_workload, ZTAI_POLICY_MAX_PORT_RANGES);
    }
  }
  std::vector<IngressEntry> out;
  for (auto& [id, e] : by_caller) out.push_back(std::move(e));
  return out;
}

ztai_egress_key egress_key(const EgressPrefix& prefix, uint32_t policy_id, uint32_t generation) {
  ztai_egress_key k{};
  k.prefixlen = 32u + prefix.prefix_len;
  k.policy_slot = policy_id << 1 | (generation & 1);
  std::memcpy(k.addr, prefix.addr.data(), 16);
  return k;
}

}  // namespace ztai::enforce
