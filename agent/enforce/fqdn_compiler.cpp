#include "agent/enforce/fqdn_compiler.h"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "agent/enforce/egress_compiler.h"

namespace ztai::enforce {
namespace {

bool is_prefix(const std::vector<uint8_t>& prefix, const std::vector<uint8_t>& of) {
  return prefix.size() <= of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

bool exact(const std::vector<uint8_t>& key) { return !key.empty() && key.back() == 0; }

// Whether a rule with key `rule` matches every name of entry `entry`.
bool lends(const std::vector<uint8_t>& rule, const std::vector<uint8_t>& entry) {
  if (exact(rule)) return rule == entry;
  if (!is_prefix(rule, entry)) return false;
  // A wildcard needs at least one label below its suffix.
  return !(entry.size() == rule.size() + 1 && entry.back() == 0);
}

}  // namespace

Result<std::vector<uint8_t>> fqdn_key_bytes(const PathPattern& pattern) {
  bool wildcard = pattern.kind == PathPattern::Kind::kSuffix;
  std::string_view name = pattern.value;
  if (wildcard && name.starts_with(".")) name.remove_prefix(1);
  std::vector<std::string_view> labels;
  while (!name.empty()) {
    size_t dot = name.find('.');
    labels.push_back(name.substr(0, dot));
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  std::vector<uint8_t> key;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
    if (it->empty() || it->size() > 63) {
      return make_error(ErrorCode::kInvalidArgument, "DNS name label '{}' is empty or longer than 63 bytes", *it);
    }
    key.push_back(static_cast<uint8_t>(it->size()));
    for (char c : *it) key.push_back(static_cast<uint8_t>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (!wildcard) key.push_back(0);
  // A matching name needs its own 0 byte in the key, and a wildcard one more label at least.
  if (key.size() + (wildcard ? 3 : 0) > ZTAI_FQDN_NAME_BYTES) {
    return make_error(ErrorCode::kUnsupported, "DNS name pattern is {} bytes on the wire; the kernel matches names "
                      "up to {}", key.size(), ZTAI_FQDN_NAME_BYTES - 1);
  }
  return key;
}

Result<std::vector<FqdnName>> compile_fqdn(const policy::WorkloadPolicy& p) {
  struct Own {
    std::vector<ztai_port_range> ranges;
    const policy::EgressRule* first_rule = nullptr;
  };
  std::map<std::vector<uint8_t>, Own> own;
  for (size_t i = 0; i < p.egress.allow.size(); i++) {
    const policy::EgressRule& rule = p.egress.allow[i];
    if (!rule.fqdn) continue;
    auto key = fqdn_key_bytes(*rule.fqdn);
    if (!key) return key.error().context(fmt::format("{}: policy '{}'", rule.where.str(), p.name));
    Own& o = own[*key];
    if (!o.first_rule) o.first_rule = &rule;
    std::vector<ztai_port_range> ranges = port_ranges(rule, static_cast<uint16_t>(i));
    o.ranges.insert(o.ranges.end(), ranges.begin(), ranges.end());
    if (!exact(*key)) {
      std::vector<uint8_t> bare = *key;
      bare.push_back(0);
      own.try_emplace(bare);  // the suffix itself, which this wildcard does not cover
    }
  }
  std::vector<FqdnName> out;
  for (const auto& [key, o] : own) {
    FqdnName n;
    n.key = key;
    for (const auto& [rule_key, r] : own) {
      if (lends(rule_key, key)) n.ranges.insert(n.ranges.end(), r.ranges.begin(), r.ranges.end());
    }
    if (n.ranges.size() > ZTAI_POLICY_MAX_PORT_RANGES) {
      const policy::EgressRule* r = o.first_rule ? o.first_rule : &p.egress.allow.front();
      return make_error(ErrorCode::kUnsupported,
                        "{}: policy '{}': {} port ranges apply to one DNS name (its rules and the wildcards "
                        "covering it); the kernel entry holds {}: merge ports into ranges",
                        r->where.str(), p.name, n.ranges.size(), ZTAI_POLICY_MAX_PORT_RANGES);
    }
    out.push_back(std::move(n));
  }
  return out;
}

std::string fqdn_signature(const policy::WorkloadPolicy& p) {
  std::string sig;
  for (size_t i = 0; i < p.egress.allow.size(); i++) {
    const policy::EgressRule& r = p.egress.allow[i];
    if (!r.fqdn) continue;
    sig += fmt::format("{}:{}:{}:{}", i, static_cast<int>(r.fqdn->kind), r.fqdn->value, policy::protocol_name(r.protocol));
    for (const policy::PortRange& pr : r.ports) sig += fmt::format(",{}-{}", pr.first, pr.last);
    sig += ';';
  }
  return sig.empty() ? sig : p.name + "|" + sig;
}

ztai_fqdn_key fqdn_key(const FqdnName& name, uint32_t policy_id, uint32_t generation) {
  ztai_fqdn_key k{};
  k.prefixlen = static_cast<uint32_t>(32 + 8 * name.key.size());
  k.policy_slot = policy_id << 1 | (generation & 1);
  std::memcpy(k.name, name.key.data(), std::min<size_t>(name.key.size(), sizeof(k.name)));
  return k;
}

}  // namespace ztai::enforce
