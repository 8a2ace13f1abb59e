#include "agent/policy/workload_policy.h"

#include <fmt/format.h>

namespace ztai::policy {

std::string SourceRef::str() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string_view mode_name(Mode m) { return m == Mode::kAudit ? "audit" : "enforce"; }

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kTcp: return "tcp";
    case Protocol::kUdp: return "udp";
    case Protocol::kAny: break;
  }
  return "any";
}

bool Cidr::contains(const IpAddress& a) const {
  IpAddress x = a.unmapped();
  if (x.family != address.family) return false;
  uint8_t full = prefix_len / 8, rest = prefix_len % 8;
  for (uint8_t i = 0; i < full; i++) {
    if (x.bytes[i] != address.bytes[i]) return false;
  }
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (x.bytes[full] & mask) == address.bytes[full];
}

std::string Cidr::str() const { return fmt::format("{}/{}", address.to_string(), prefix_len); }

}  // namespace ztai::policy
