// JSON lines on standard output, the default output.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_stdout_exporter(const YAML::Node& config, const ExporterContext& ctx);

}  // namespace ztai
