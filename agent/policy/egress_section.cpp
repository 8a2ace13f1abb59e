// spec.egress: default action and the allow list (CIDR or DNS name, ports, protocol).
#include "agent/policy/spec_sections.h"

namespace ztai::policy {
namespace {

// Exactly one of `cidr` and `fqdn`: the destination the rule allows.
Status read_destination(YamlMap& r, const YAML::Node& item, const std::string& what, const ParseContext& ctx,
                        EgressRule& rule) {
  YAML::Node cidr = r.get("cidr");
  YAML::Node fqdn = r.get("fqdn");
  if (cidr.IsDefined() == fqdn.IsDefined()) {
    return ctx.bad(item, what, "give exactly one of cidr or fqdn");
  }
  if (cidr.IsDefined()) {
    auto c = cidr.IsScalar() ? parse_cidr(cidr.Scalar()) : make_error(ErrorCode::kInvalidArgument, "expected a string");
    if (!c) return ctx.bad(cidr, what + ".cidr", c.error().message());
    rule.cidr = *c;
    return {};
  }
  auto f = fqdn.IsScalar() ? parse_fqdn_pattern(fqdn.Scalar())
                           : Result<PathPattern>(make_error(ErrorCode::kInvalidArgument, "expected a string"));
  if (!f) return ctx.bad(fqdn, what + ".fqdn", f.error().message());
  rule.fqdn = *f;
  return {};
}

}  // namespace

Status parse_egress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  return parse_allow_section(node, ctx, "egress", out.egress, read_destination);
}

}  // namespace ztai::policy
