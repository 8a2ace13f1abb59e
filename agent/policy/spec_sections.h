// The `spec:` sections of a WorkloadPolicy, one parse function (and one .cpp) per section. To add
// a section: add its model to WorkloadPolicy, write `Status parse_<name>(const YAML::Node&,
// ParseContext&, WorkloadPolicy&)` in <name>_section.cpp, and list it in kSpecSections
// (policy_parser.cpp). Each parser reads its node with YamlMap, so unknown keys and bad values are
// file:line:col errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/common/result.h"
#include "agent/config/yaml_map.h"
#include "agent/policy/workload_policy.h"

namespace ztai::policy {

struct ParseContext {
  std::string file;
  SourceRef ref(const YAML::Node& n) const;
  Error bad(const YAML::Node& n, std::string_view what, std::string_view msg) const;
};

using SectionParser = Status (*)(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);

struct SpecSection {
  std::string_view key;
  SectionParser parse;
};

// Sections other than selector and mode, in the order they are parsed.
const std::vector<SpecSection>& spec_sections();

Status parse_selector(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);
Status parse_egress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);
Status parse_ingress(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out);

// Shared pieces of network sections.
// `ports: [443, "8000-8080"]`: single ports or inclusive ranges, 1..65535.
Result<std::vector<PortRange>> parse_ports(const YAML::Node& node, const ParseContext& ctx, std::string_view what);
// `protocol: tcp|udp|any`.
Result<Protocol> parse_protocol(const YAML::Node& node, const ParseContext& ctx, std::string_view what);
// `default: allow|deny`.
Result<DefaultAction> parse_default_action(const YAML::Node& node, const ParseContext& ctx, std::string_view what);
// "10.0.0.0/8", "fd00::/8", "192.168.1.5" (a /32); host bits must be zero.
Result<Cidr> parse_cidr(std::string_view text);
// A name pattern the kernel can match: exact ("api.openai.com"), prefix ("model-*") or suffix
// ("*.huggingface.co"); no other '*', '?' or '['.
Result<PathPattern> parse_name_pattern(std::string_view text);
// A DNS name pattern: a name pattern, lower-cased, no trailing dot, only a suffix wildcard.
Result<PathPattern> parse_fqdn_pattern(std::string_view text);

// A network section (`spec.egress`, `spec.ingress`): `default`, and an `allow` list whose rules all
// have `name`, `ports` and `protocol`. read_peer(rule_map, item, what, ctx, rule) reads what a rule
// of this section says about the other side (cidr/fqdn, from), between the name and the ports.
template <typename Spec, typename ReadPeer>
Status parse_allow_section(const YAML::Node& node, const ParseContext& ctx, std::string_view section, Spec& spec,
                           ReadPeer read_peer) {
  if (!node.IsDefined()) return {};
  std::string path = fmt::format("spec.{}", section);
  auto m = YamlMap::of(node, ctx.file, path);
  if (!m) return m.error();
  spec.present = true;
  auto def = parse_default_action(m->get("default"), ctx, path + ".default");
  if (!def) return def.error();
  spec.default_action = *def;

  YAML::Node allow = m->get("allow");
  if (allow.IsDefined() && !allow.IsNull() && !allow.IsSequence()) {
    return ctx.bad(allow, path + ".allow", "expected a list of rules");
  }
  size_t index = 0;
  for (const YAML::Node& item : allow) {
    std::string what = fmt::format("{}.allow[{}]", path, index);
    auto r = YamlMap::of(item, ctx.file, what);
    if (!r) return r.error();
    typename decltype(spec.allow)::value_type rule;
    rule.where = ctx.ref(item);
    auto name = r->get_string("name", fmt::format("{}.allow[{}]", section, index));
    if (!name) return name.error();
    rule.name = *name;
    if (Status s = read_peer(*r, item, what, ctx, rule); !s) return s;
    auto ports = parse_ports(r->get("ports"), ctx, what + ".ports");
    if (!ports) return ports.error();
    rule.ports = std::move(*ports);
    auto proto = parse_protocol(r->get("protocol"), ctx, what + ".protocol");
    if (!proto) return proto.error();
    rule.protocol = *proto;
    if (auto st = r->finish(); !st) return st;
    spec.allow.push_back(std::move(rule));
    index++;
  }
  return m->finish();
}

}  // namespace ztai::policy
