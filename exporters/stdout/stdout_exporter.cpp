#include "exporters/stdout/stdout_exporter.h"

#include <unistd.h>

#include "exporters/line_writer.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_stdout_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto format = read_format(config, "json");
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  std::string name = ctx.output_name.empty() ? "stdout" : ctx.output_name;
  return std::unique_ptr<Exporter>(std::make_unique<LineWriter>(std::move(name), STDOUT_FILENO, false, *format));
}

}  // namespace ztai
