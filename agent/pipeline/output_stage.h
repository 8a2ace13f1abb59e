// The output side of the pipeline: hands each record to every output whose filter accepts it.
// Each output has its own bounded queue, thread, retries and optional spool (OutputChannel), so
// a slow or dead receiver neither grows memory without bound (Falco #2495) nor holds up the
// other outputs or the kernel reader.
#pragma once

#include <memory>
#include <vector>

#include "agent/pipeline/metrics.h"
#include "agent/pipeline/output_channel.h"
#include "exporters/exporter.h"

namespace ztai {

class OutputStage {
 public:
  explicit OutputStage(std::vector<std::unique_ptr<OutputChannel>> channels);
  // Outputs with default options (every record, memory queue of `capacity`, no spool).
  OutputStage(std::vector<std::unique_ptr<Exporter>> exporters, size_t capacity, MetricsRegistry& metrics);
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  void submit(Record record);
  // Delivers what it can, keeps the rest in the spools, joins every output's thread (or gives up on
  // one stuck in its exporter past its stop_timeout).
  void stop();

 private:
  std::vector<std::unique_ptr<OutputChannel>> channels_;
};

// Creates the channels (opening spools) for the outputs of a config.
Result<std::vector<std::unique_ptr<OutputChannel>>> create_channels(std::vector<OutputSpec> specs,
                                                                    MetricsRegistry& metrics);

}  // namespace ztai
