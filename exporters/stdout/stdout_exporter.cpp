#include "exporters/stdout/stdout_exporter.h"

#include "agent/config/yaml_map.h"
#include "exporters/line_writer.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_stdout_exporter(const YAML::Node& config, const ExporterContext& ctx) {
  auto map = YamlMap::of(config, ctx.config_file, "outputs[stdout]");
  if (!map) return map.error();
  map->get("type");
  if (Status s = map->finish(); !s) return s.error();
  return std::unique_ptr<Exporter>(std::make_unique<LineWriter>("stdout", stdout, /*owned=*/false));
}

}  // namespace ztai
