// An output: takes records and delivers them somewhere. Exporters are created by name from the
// agent config through a registry of factories, so formats and transports are added without
// touching the pipeline.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/common/result.h"
#include "agent/config/yaml_map.h"
#include "agent/pipeline/metrics.h"
#include "exporters/record.h"

namespace ztai {

// What became of a batch handed to an exporter. Records named in neither list were delivered
// (acknowledged where the transport acknowledges, written where it cannot).
struct DeliveryReport {
  std::vector<size_t> retry;  // indices into the batch that must be sent again
  std::vector<std::pair<size_t, std::string>> rejected;  // refused for good (bad request): counted, logged
  std::optional<Error> error;  // why the retries are needed, for the log
  std::chrono::milliseconds retry_after{0};  // the receiver's Retry-After, 0 when it gave none

  bool ok() const { return retry.empty() && rejected.empty(); }
  // Marks indices [from, n) for retry with the given reason.
  void retry_from(size_t from, size_t n, Error why);
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual std::string_view name() const = 0;
  // Called from the output's thread only. Writes one record.
  virtual Status send(const Record& record) = 0;
  // Pushes buffered records out; called when a batch is done and at shutdown.
  virtual Status flush() { return {}; }
  // Delivers a batch. The default sends record by record and flushes: a failure leaves that
  // record and the ones after it for a retry.
  virtual DeliveryReport deliver(std::span<const Record> batch);
  // Most records deliver() takes at once.
  virtual size_t max_batch() const { return 256; }
};

// An exporter whose unit of delivery is a batch (HTTP bodies, Kafka): sending one record is
// delivering a batch of one.
class BatchExporter : public Exporter {
 public:
  Status send(const Record& record) final;
  DeliveryReport deliver(std::span<const Record> batch) override = 0;
};

struct ExporterContext {
  MetricsRegistry& metrics;
  std::string config_file;  // for file:line in errors
  std::string output_name;  // unique per output: metric labels and log lines
};

// A factory reads its own keys from the output's mapping and calls finish(), so a key no one
// knows is an error naming file:line.
using ExporterFactory = std::function<Result<std::unique_ptr<Exporter>>(YamlMap& config, const ExporterContext& ctx)>;

class ExporterRegistry {
 public:
  // Rejects a duplicate name.
  Status add(std::string name, ExporterFactory factory);
  Result<std::unique_ptr<Exporter>> create(std::string_view type, YamlMap& config, const ExporterContext& ctx) const;
  // For a mapping that holds only `type` and the exporter's own keys.
  Result<std::unique_ptr<Exporter>> create(std::string_view type, const YAML::Node& config,
                                           const ExporterContext& ctx) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, ExporterFactory, std::less<>> factories_;
};

// Every built-in exporter, registered by an explicit list (no static initialisers).
const ExporterRegistry& builtin_exporters();

}  // namespace ztai
