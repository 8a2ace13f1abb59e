// An output: takes records and delivers them somewhere. Exporters are created by name from the
// agent config through a registry of factories, so formats and transports are added without
// touching the pipeline.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/common/result.h"
#include "agent/pipeline/metrics.h"
#include "exporters/record.h"

namespace ztai {

class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual std::string_view name() const = 0;
  // Called from the output thread only.
  virtual Status send(const Record& record) = 0;
  // Pushes buffered records out; called when the output queue runs empty and at shutdown.
  virtual Status flush() { return {}; }
};

struct ExporterContext {
  MetricsRegistry& metrics;
  std::string config_file;  // for file:line in errors
};

using ExporterFactory =
    std::function<Result<std::unique_ptr<Exporter>>(const YAML::Node& config, const ExporterContext& ctx)>;

class ExporterRegistry {
 public:
  // Rejects a duplicate name.
  Status add(std::string name, ExporterFactory factory);
  Result<std::unique_ptr<Exporter>> create(std::string_view type, const YAML::Node& config,
                                           const ExporterContext& ctx) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, ExporterFactory, std::less<>> factories_;
};

// Every built-in exporter, registered by an explicit list (no static initialisers).
const ExporterRegistry& builtin_exporters();

}  // namespace ztai
