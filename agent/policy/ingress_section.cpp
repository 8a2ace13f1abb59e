// spec.ingress: default action and the allow list (from another policy's workloads, ports,
// protocol). Enforced at the sender's connect (segmentation), so `from` names a workload the agent
// knows, not an address.
#include "agent/policy/spec_sections.h"

namespace ztai::policy {
namespace {

// `from: { workload: NAME }`: the policy whose workloads may connect.
Status read_source(YamlMap& r, const YAML::Node& item, const std::string& what, const ParseContext& ctx,
                   IngressRule& rule) {
  YAML::Node from_node = r.get("from");
  if (!from_node.IsDefined()) return ctx.bad(item, what, "`from: { workload: NAME }` is required");
  auto from = YamlMap::of(from_node, ctx.file, what + ".from");
  if (!from) return from.error();
  auto workload = from->get_string("workload", "");
  if (!workload) return workload.error();
  if (workload->empty()) return ctx.bad(from_node, what + ".from", "`workload` (a policy's metadata.name) is required");
  if (auto st = from->finish(); !st) return st;
  rule.from_workload = *workload;
  return {};
}

}  // namespace

Status parse_ingress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  return parse_allow_section(node, ctx, "ingress", out.ingress, read_source);
}

}  // namespace ztai::policy
