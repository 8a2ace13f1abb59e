#include "exporters/file/file_exporter.h"

#include <cerrno>
#include <cstring>

#include "agent/config/yaml_map.h"
#include "exporters/line_writer.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> open_file_exporter(const std::string& path) {
  FILE* f = fopen(path.c_str(), "ae");
  if (!f) return make_error(ErrorCode::kIo, "cannot open output file {}: {}", path, strerror(errno));
  return std::unique_ptr<Exporter>(std::make_unique<LineWriter>("file", f, /*owned=*/true));
}

Result<std::unique_ptr<Exporter>> make_file_exporter(const YAML::Node& config, const ExporterContext& ctx) {
  auto map = YamlMap::of(config, ctx.config_file, "outputs[file]");
  if (!map) return map.error();
  map->get("type");
  auto path = map->get_string("path", "");
  if (!path) return path.error();
  if (path->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[file]: 'path' is required", map->where(config));
  }
  if (Status s = map->finish(); !s) return s.error();
  auto exporter = open_file_exporter(*path);
  if (!exporter) return exporter.error().context(map->where(config));
  return exporter;
}

}  // namespace ztai
