// spec.ingress: default action and the allow list (from another policy's workloads, ports,
// protocol). Enforced at the sender's connect (segmentation), so `from` names a workload the agent
// knows, not an address.
#include "agent/policy/spec_sections.h"

namespace ztai::policy {

Status parse_ingress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  if (!node.IsDefined()) return {};
  auto m = YamlMap::of(node, ctx.file, "spec.ingress");
  if (!m) return m.error();
  IngressSpec& in = out.ingress;
  in.present = true;
  auto def = parse_default_action(m->get("default"), ctx, "spec.ingress.default");
  if (!def) return def.error();
  in.default_action = *def;

  YAML::Node allow = m->get("allow");
  if (allow.IsDefined() && !allow.IsNull() && !allow.IsSequence()) {
    return ctx.bad(allow, "spec.ingress.allow", "expected a list of rules");
  }
  size_t index = 0;
  for (const YAML::Node& item : allow) {
    std::string what = fmt::format("spec.ingress.allow[{}]", index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    IngressRule rule;
    rule.where = ctx.ref(item);
    auto name = r->get_string("name", fmt::format("ingress.allow[{}]", index));
    if (!name) return name.error();
    rule.name = *name;
    YAML::Node from_node = r->get("from");
    if (!from_node.IsDefined()) return ctx.bad(item, what, "`from: { workload: NAME }` is required");
    auto from = YamlMap::of(from_node, ctx.file, what + ".from");
    if (!from) return from.error();
    auto workload = from->get_string("workload", "");
    if (!workload) return workload.error();
    if (workload->empty()) return ctx.bad(from_node, what + ".from", "`workload` (a policy's metadata.name) is required");
    if (auto st = from->finish(); !st) return st;
    rule.from_workload = *workload;
    auto ports = parse_ports(r->get("ports"), ctx, what + ".ports");
    if (!ports) return ports.error();
    rule.ports = std::move(*ports);
    auto proto = parse_protocol(r->get("protocol"), ctx, what + ".protocol");
    if (!proto) return proto.error();
    rule.protocol = *proto;
    if (auto st = r->finish(); !st) return st;
    in.allow.push_back(std::move(rule));
    index++;
  }
  return m->finish();
}

}  // namespace ztai::policy
