// Values shared by the network sections: ports, protocol, default action, CIDRs, name patterns.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "agent/policy/spec_sections.h"

namespace ztai::policy {

SourceRef ParseContext::ref(const YAML::Node& n) const {
  SourceRef r{file, 0, 0};
  if (n.IsDefined() && !n.Mark().is_null()) {
    r.line = static_cast<uint32_t>(n.Mark().line + 1);
    r.column = static_cast<uint32_t>(n.Mark().column + 1);
  }
  return r;
}

Error ParseContext::bad(const YAML::Node& n, std::string_view what, std::string_view msg) const {
  return make_error(ErrorCode::kInvalidArgument, "{}: {}: {}", yaml_where(file, n), what, msg);
}

namespace {

bool parse_u16(std::string_view s, uint16_t& out) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

Result<std::vector<PortRange>> parse_ports(const YAML::Node& node, const ParseContext& ctx, std::string_view what) {
  std::vector<PortRange> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) return ctx.bad(node, what, "expected a list of ports (443) or ranges (\"8000-8080\")");
  for (const YAML::Node& item : node) {
    std::string s = item.IsScalar() ? item.Scalar() : "";
    PortRange r;
    size_t dash = s.find('-');
    bool ok = dash == std::string::npos ? parse_u16(s, r.first)
                                        : parse_u16(std::string_view(s).substr(0, dash), r.first) &&
                                              parse_u16(std::string_view(s).substr(dash + 1), r.last);
    if (dash == std::string::npos) r.last = r.first;
    if (!ok) return ctx.bad(item, what, fmt::format("'{}' is not a port 1-65535 or a range \"first-last\"", s));
    if (r.last < r.first) return ctx.bad(item, what, fmt::format("range '{}' ends before it starts", s));
    out.push_back(r);
  }
  if (out.empty()) return ctx.bad(node, what, "an empty list allows no port; leave `ports` out to allow every port");
  return out;
}

Result<Protocol> parse_protocol(const YAML::Node& node, const ParseContext& ctx, std::string_view what) {
  if (!node.IsDefined()) return Protocol::kAny;
  std::string s = node.IsScalar() ? node.Scalar() : "";
  if (s == "tcp") return Protocol::kTcp;
  if (s == "udp") return Protocol::kUdp;
  if (s == "any") return Protocol::kAny;
  return ctx.bad(node, what, fmt::format("'{}' is not tcp, udp or any", s));
}

Result<DefaultAction> parse_default_action(const YAML::Node& node, const ParseContext& ctx, std::string_view what) {
  if (!node.IsDefined()) return DefaultAction::kDeny;
  std::string s = node.IsScalar() ? node.Scalar() : "";
  if (s == "deny") return DefaultAction::kDeny;
  if (s == "allow") return DefaultAction::kAllow;
  return ctx.bad(node, what, fmt::format("'{}' is not allow or deny", s));
}

Result<Cidr> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return make_error(ErrorCode::kInvalidArgument, "'{}' is not an IPv4 or IPv6 address or CIDR", text);
  Cidr c;
  c.address = addr->unmapped();
  uint8_t max = c.address.family == IpAddress::Family::kV4 ? 32 : 128;
  c.prefix_len = max;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
    if (ec != std::errc() || end != len.data() + len.size() || v > max) {
      return make_error(ErrorCode::kInvalidArgument, "'{}': prefix length must be 0-{}", text, max);
    }
    c.prefix_len = static_cast<uint8_t>(v);
  }
  Cidr masked = c;
  for (unsigned bit = c.prefix_len; bit < max; bit++) masked.address.bytes[bit / 8] &= ~(0x80 >> (bit % 8));
  if (!(masked == c)) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' has host bits set; did you mean {}?", text, masked.str());
  }
  return c;
}

Result<PathPattern> parse_name_pattern(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pattern '{}' {}: use an exact name, a prefix (name-*) or a suffix (*.example.com)", text, why);
  };
  if (text.empty()) return bad("is empty");
  if (text.find_first_of("?[]{}") != std::string_view::npos) return bad("has glob characters the kernel cannot match");
  size_t stars = std::count(text.begin(), text.end(), '*');
  if (stars == 0) return PathPattern{PathPattern::Kind::kExact, std::string(text)};
  if (stars > 1) return bad("has more than one '*'");
  if (text.size() == 1) return bad("matches everything");
  if (text.front() == '*') return PathPattern{PathPattern::Kind::kSuffix, std::string(text.substr(1))};
  if (text.back() == '*') return PathPattern{PathPattern::Kind::kPrefix, std::string(text.substr(0, text.size() - 1))};
  return bad("has a '*' in the middle");
}

Result<PathPattern> parse_fqdn_pattern(std::string_view text) {
  std::string name(text);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!name.empty() && name.back() == '.') name.pop_back();
  auto p = parse_name_pattern(name);
  if (!p) return p.error();
  if (p->kind == PathPattern::Kind::kPrefix) {
    return make_error(ErrorCode::kInvalidArgument, "DNS name '{}': only a leading '*.' wildcard is allowed", text);
  }
  if (p->kind == PathPattern::Kind::kSuffix && !p->value.starts_with(".")) {
    return make_error(ErrorCode::kInvalidArgument, "DNS name '{}': a wildcard covers whole labels: write '*.{}'",
                      text, p->value);
  }
  std::string_view body = p->kind == PathPattern::Kind::kSuffix ? std::string_view(p->value).substr(1) : p->value;
  if (body.empty() || body.size() > 253) return make_error(ErrorCode::kInvalidArgument, "DNS name '{}' is empty or too long", text);
  for (char c : body) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return make_error(ErrorCode::kInvalidArgument, "DNS name '{}' has the character '{}'", text, c);
    }
  }
  if (body.find("..") != std::string_view::npos || body.front() == '.') {
    return make_error(ErrorCode::kInvalidArgument, "DNS name '{}' has an empty label", text);
  }
  return p;
}

}  // namespace ztai::policy
