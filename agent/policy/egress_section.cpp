// spec.egress: default action and the allow list (CIDR or DNS name, ports, protocol).
#include "agent/policy/spec_sections.h"

namespace ztai::policy {

Status parse_egress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  auto m = YamlMap::of(node, ctx.file, "spec.egress");
  if (!m) return m.error();
  EgressSpec& e = out.egress;
  e.present = true;
  auto def = parse_default_action(m->get("default"), ctx, "spec.egress.default");
  if (!def) return def.error();
  e.default_action = *def;

  YAML::Node allow = m->get("allow");
  if (allow.IsDefined() && !allow.IsNull() && !allow.IsSequence()) {
    return ctx.bad(allow, "spec.egress.allow", "expected a list of rules");
  }
  size_t index = 0;
  for (const YAML::Node& item : allow) {
    std::string what = fmt::format("spec.egress.allow[{}]", index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    EgressRule rule;
    rule.where = ctx.ref(item);
    auto name = r->get_string("name", fmt::format("egress.allow[{}]", index));
    if (!name) return name.error();
    rule.name = *name;
    YAML::Node cidr = r->get("cidr");
    YAML::Node fqdn = r->get("fqdn");
    if (cidr.IsDefined() == fqdn.IsDefined()) {
      return ctx.bad(item, what, "give exactly one of cidr or fqdn");
    }
    if (cidr.IsDefined()) {
      auto c = cidr.IsScalar() ? parse_cidr(cidr.Scalar()) : make_error(ErrorCode::kInvalidArgument, "expected a string");
      if (!c) return ctx.bad(cidr, what + ".cidr", c.error().message());
      rule.cidr = *c;
    } else {
      auto f = fqdn.IsScalar() ? parse_fqdn_pattern(fqdn.Scalar())
                               : Result<PathPattern>(make_error(ErrorCode::kInvalidArgument, "expected a string"));
      if (!f) return ctx.bad(fqdn, what + ".fqdn", f.error().message());
      rule.fqdn = *f;
    }
    auto ports = parse_ports(r->get("ports"), ctx, what + ".ports");
    if (!ports) return ports.error();
    rule.ports = std::move(*ports);
    auto proto = parse_protocol(r->get("protocol"), ctx, what + ".protocol");
    if (!proto) return proto.error();
    rule.protocol = *proto;
    if (auto st = r->finish(); !st) return st;
    e.allow.push_back(std::move(rule));
    index++;
  }
  return m->finish();
}

}  // namespace ztai::policy
