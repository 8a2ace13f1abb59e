// One record per line appended to a file (JSON by default), with optional rotation by size:
// path -> path.1 -> ... -> path.N, the rotated files optionally gzip-compressed.
#pragma once

#include <memory>

#include "exporters/exporter.h"
#include "exporters/format/format.h"

namespace ztai {

struct FileOutputOptions {
  std::string path;
  FormatFn format = nullptr;
  uint64_t rotate_bytes = 0;  // 0: never rotate
  uint32_t keep_files = 5;
  bool compress = false;
};

Result<std::unique_ptr<Exporter>> make_file_exporter(YamlMap& config, const ExporterContext& ctx);
Result<std::unique_ptr<Exporter>> open_file_exporter(FileOutputOptions options);
// For `ztai run --output FILE`: JSON lines, no rotation.
Result<std::unique_ptr<Exporter>> open_file_exporter(const std::string& path);

}  // namespace ztai
