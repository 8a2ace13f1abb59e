// What every output shares, whatever its type: which records it takes (minimum priority, rules,
// tags), its memory queue, its retry backoff and its optional on-disk spool. Read from the
// output's mapping before the exporter's own keys, so both are checked in one pass.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/pipeline/metrics.h"
#include "exporters/exporter.h"
#include "exporters/spool/spool.h"

namespace ztai {

struct OutputOptions {
  std::string name;  // unique among outputs: metric label, log prefix, spool folder
  Priority min_priority = Priority::kDebug;
  std::vector<std::string> rules;  // empty: every rule
  std::vector<std::string> tags;   // empty: every tag
  size_t queue_capacity = 65536;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{60'000};
  // Delivery attempts at shutdown; the spool keeps the rest. An attempt still stuck past it is given up on.
  std::chrono::milliseconds stop_timeout{5'000};
  std::optional<SpoolOptions> spool;

  // Alerts pass at or above min_priority and, when rules or tags are given, when they name the
  // alert's rule or one of its tags. Events have no rule: a rules or tags filter excludes them.
  bool accepts(const Record& record) const;
};

struct OutputSpec {
  OutputOptions options;
  std::unique_ptr<Exporter> exporter;
};

// Reads one entry of output.outputs: the shared keys, then the exporter's own through its
// factory. default_queue_capacity is output.queue_capacity.
Result<OutputSpec> create_output(const YAML::Node& node, const ExporterRegistry& registry, MetricsRegistry& metrics,
                                 const std::string& file, size_t default_queue_capacity);

// Every output of the config; names must be unique (two outputs of one type need a `name`).
Result<std::vector<OutputSpec>> create_outputs(const std::vector<YAML::Node>& nodes, const ExporterRegistry& registry,
                                               MetricsRegistry& metrics, const std::string& file,
                                               size_t default_queue_capacity);

}  // namespace ztai
