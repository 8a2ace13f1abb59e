// One record per line on standard output (JSON by default), the default output.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_stdout_exporter(YamlMap& config, const ExporterContext& ctx);

}  // namespace ztai
