// One output's delivery: a bounded memory queue, an optional on-disk spool, and a thread that
// sends batches to the exporter and retries what did not arrive, with exponential backoff or
// the receiver's Retry-After. With a spool every record is written to disk before it is sent
// and leaves only once delivered, so a dead receiver or an agent restart loses nothing until
// the spool's size cap; whatever is dropped (queue full, spool full, shutdown) is counted.
#pragma once

#include <memory>
#include <thread>

#include "agent/pipeline/metrics.h"
#include "exporters/output_options.h"

namespace ztai {

class OutputChannel {
 public:
  // Opens the spool when the options name one; an unusable spool directory is an error.
  static Result<std::unique_ptr<OutputChannel>> create(OutputSpec spec, MetricsRegistry& metrics);
  ~OutputChannel();
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  const OutputOptions& options() const;
  // Queues a record the filter accepted; when the queue is full the oldest is dropped and counted.
  void submit(Record record);
  // Delivers what it can within stop_timeout, keeps the rest in the spool (or counts it as
  // dropped without one), flushes and joins the thread. An exporter still stuck in a delivery
  // at the deadline (a full pipe nobody reads, a receiver that stopped reading) is abandoned:
  // its thread is left behind, what it held is kept in the spool or counted as lost, and the
  // agent stops anyway.
  void stop();

 private:
  class Delivery;
  explicit OutputChannel(std::shared_ptr<Delivery> delivery);

  // Shared with the thread, so a thread abandoned in a stuck exporter never outlives what it uses.
  std::shared_ptr<Delivery> delivery_;
  std::thread thread_;
};

}  // namespace ztai
