// JSON lines appended to a file.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_file_exporter(const YAML::Node& config, const ExporterContext& ctx);
// For `ztai run --output FILE`.
Result<std::unique_ptr<Exporter>> open_file_exporter(const std::string& path);

}  // namespace ztai
