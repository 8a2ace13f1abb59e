// spec.selector: k8s {namespace, labels}, container {image}, systemd {unit}, cgroup, process {exe}.
#include "agent/policy/spec_sections.h"

namespace ztai::policy {
namespace {

Result<PathPattern> pattern_at(const YAML::Node& n, const ParseContext& ctx, std::string_view what, bool path) {
  if (!n.IsScalar()) return ctx.bad(n, what, "expected a string");
  auto p = path ? parse_path_pattern(n.Scalar()) : parse_name_pattern(n.Scalar());
  if (!p) return ctx.bad(n, what, p.error().message());
  return p;
}

}  // namespace

Status parse_selector(const YAML::Node& node, const ParseContext& ctx, WorkloadPolicy& out) {
  Selector& s = out.selector;
  s.where = ctx.ref(node);
  if (!node.IsDefined() || node.IsNull()) {
    return ctx.bad(node, "spec", "spec.selector is required: a policy that selects nothing protects nothing");
  }
  auto m = YamlMap::of(node, ctx.file, "spec.selector");
  if (!m) return m.error();

  auto k8s = m->get_map("k8s");
  if (!k8s) return k8s.error();
  auto ns = k8s->get_string("namespace", "");
  if (!ns) return ns.error();
  if (!ns->empty()) s.k8s_namespace = *ns;
  YAML::Node labels = k8s->get("labels");
  if (labels.IsDefined() && !labels.IsNull()) {
    if (!labels.IsMap()) return ctx.bad(labels, "spec.selector.k8s.labels", "expected a mapping of label: value");
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        return ctx.bad(it->first, "spec.selector.k8s.labels", "labels and values are strings");
      }
      s.k8s_labels[it->first.Scalar()] = it->second.Scalar();
    }
  }
  if (auto st = k8s->finish(); !st) return st;

  auto container = m->get_map("container");
  if (!container) return container.error();
  if (YAML::Node image = container->get("image"); image.IsDefined()) {
    auto p = pattern_at(image, ctx, "spec.selector.container.image", false);
    if (!p) return p.error();
    s.container_image = *p;
  }
  if (auto st = container->finish(); !st) return st;

  auto systemd = m->get_map("systemd");
  if (!systemd) return systemd.error();
  if (YAML::Node unit = systemd->get("unit"); unit.IsDefined()) {
    auto p = pattern_at(unit, ctx, "spec.selector.systemd.unit", false);
    if (!p) return p.error();
    s.systemd_unit = *p;
  }
  if (auto st = systemd->finish(); !st) return st;

  if (YAML::Node cg = m->get("cgroup"); cg.IsDefined()) {
    auto p = pattern_at(cg, ctx, "spec.selector.cgroup", true);
    if (!p) return p.error();
    if (p->kind == PathPattern::Kind::kSuffix) {
      return ctx.bad(cg, "spec.selector.cgroup", "a cgroup is selected by its path or a parent's path (\"/a.slice/*\")");
    }
    s.cgroup_path = *p;
  }

  auto process = m->get_map("process");
  if (!process) return process.error();
  if (YAML::Node exe = process->get("exe"); exe.IsDefined()) {
    auto p = pattern_at(exe, ctx, "spec.selector.process.exe", true);
    if (!p) return p.error();
    s.process_exe = *p;
  }
  if (auto st = process->finish(); !st) return st;
  if (auto st = m->finish(); !st) return st;

  if (!s.k8s_namespace && s.k8s_labels.empty() && !s.container_image && !s.systemd_unit && !s.cgroup_path &&
      !s.process_exe) {
    return ctx.bad(node, "spec.selector", "names nothing: give k8s, container, systemd, cgroup or process");
  }
  return {};
}

}  // namespace ztai::policy
