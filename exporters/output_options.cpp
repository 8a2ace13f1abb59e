#include "exporters/output_options.h"

#include <algorithm>
#include <set>

#include "agent/config/yaml_map.h"

namespace ztai {

bool OutputOptions::accepts(const Record& r) const {
  if (static_cast<int>(r.priority) > static_cast<int>(min_priority)) return false;
  if (rules.empty() && tags.empty()) return true;
  if (r.kind != RecordKind::kAlert) return false;
  if (std::find(rules.begin(), rules.end(), r.rule) != rules.end()) return true;
  for (const std::string& t : r.tags) {
    if (std::find(tags.begin(), tags.end(), t) != tags.end()) return true;
  }
  return false;
}

namespace {

Status read_shared(YamlMap& m, OutputOptions& o, size_t default_queue_capacity) {
  auto name = m.get_string("name", m.node()["type"].Scalar());
  if (!name) return name.error();
  o.name = *name;
  YAML::Node prio_node = m.get("min_priority");
  auto prio = m.get_string("min_priority", "debug");
  if (!prio) return prio.error();
  auto p = parse_priority(*prio);
  if (!p) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: min_priority: '{}' is not a priority (emergency, alert, critical, error, warning, notice, "
                      "informational, debug)",
                      m.where(prio_node), *prio);
  }
  o.min_priority = *p;
  auto rules = m.get_string_list("rules");
  if (!rules) return rules.error();
  o.rules = *rules;
  auto tags = m.get_string_list("tags");
  if (!tags) return tags.error();
  o.tags = *tags;
  auto cap = m.get_uint("queue_capacity", default_queue_capacity, 16, 1u << 24);
  if (!cap) return cap.error();
  o.queue_capacity = *cap;

  auto retry = m.get_map("retry");
  if (!retry) return retry.error();
  auto initial = retry->get_uint("initial_backoff_ms", 500, 10, 600'000);
  if (!initial) return initial.error();
  auto max = retry->get_uint("max_backoff_ms", 60'000, 10, 3'600'000);
  if (!max) return max.error();
  auto stop = retry->get_uint("stop_timeout_ms", 5'000, 0, 600'000);
  if (!stop) return stop.error();
  if (*max < *initial) {
    return make_error(ErrorCode::kInvalidArgument, "{}: retry.max_backoff_ms ({}) is below initial_backoff_ms ({})",
                      m.where(retry->node()), *max, *initial);
  }
  o.initial_backoff = std::chrono::milliseconds(*initial);
  o.max_backoff = std::chrono::milliseconds(*max);
  o.stop_timeout = std::chrono::milliseconds(*stop);
  if (Status s = retry->finish(); !s) return s;

  auto spool = m.get_map("spool");
  if (!spool) return spool.error();
  auto dir = spool->get_string("dir", "");
  if (!dir) return dir.error();
  auto bytes = spool->get_uint("max_bytes", 256u << 20, 1u << 16, 1ull << 40);
  if (!bytes) return bytes.error();
  auto fsync = spool->get_bool("fsync", false);
  if (!fsync) return fsync.error();
  if (!dir->empty()) o.spool = SpoolOptions{*dir + "/" + o.name, *bytes, 0, *fsync};
  return spool->finish();
}

}  // namespace

Result<OutputSpec> create_output(const YAML::Node& node, const ExporterRegistry& registry, MetricsRegistry& metrics,
                                 const std::string& file, size_t default_queue_capacity) {
  std::string type = node["type"].Scalar();
  auto m = YamlMap::of(node, file, fmt::format("outputs[{}]", type));
  if (!m) return m.error();
  m->get("type");
  OutputSpec spec;
  if (Status s = read_shared(*m, spec.options, default_queue_capacity); !s) return s.error();
  auto exporter = registry.create(type, *m, ExporterContext{metrics, file, spec.options.name});
  if (!exporter) return exporter.error();
  spec.exporter = std::move(*exporter);
  return spec;
}

Result<std::vector<OutputSpec>> create_outputs(const std::vector<YAML::Node>& nodes, const ExporterRegistry& registry,
                                               MetricsRegistry& metrics, const std::string& file,
                                               size_t default_queue_capacity) {
  std::vector<OutputSpec> out;
  std::set<std::string> names;
  for (const YAML::Node& node : nodes) {
    auto spec = create_output(node, registry, metrics, file, default_queue_capacity);
    if (!spec) return spec.error();
    if (!names.insert(spec->options.name).second) {
      return make_error(ErrorCode::kInvalidArgument, "{}: two outputs are named '{}': give each a distinct 'name'",
                        yaml_where(file, node), spec->options.name);
    }
    out.push_back(std::move(*spec));
  }
  return out;
}

}  // namespace ztai
