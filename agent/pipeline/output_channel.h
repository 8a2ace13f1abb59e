// One output's delivery: a bounded memory queue, an optional on-disk spool, and a thread that
// sends batches to the exporter and retries what did not arrive, with exponential backoff or
// the receiver's Retry-After. With a spool every record is written to disk before it is sent
// and leaves only once delivered, so a dead receiver or an agent restart loses nothing until
// the spool's size cap; whatever is dropped (queue full, spool full, shutdown) is counted.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/pipeline/metrics.h"
#include "exporters/output_options.h"
#include "exporters/spool/spool.h"

namespace ztai {

class OutputChannel {
 public:
  // Opens the spool when the options name one; an unusable spool directory is an error.
  static Result<std::unique_ptr<OutputChannel>> create(OutputSpec spec, MetricsRegistry& metrics);
  ~OutputChannel();
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  const OutputOptions& options() const { return options_; }
  // Queues a record the filter accepted; when the queue is full the oldest is dropped and counted.
  void submit(Record record);
  // Delivers what it can within stop_timeout, keeps the rest in the spool (or counts it as
  // dropped without one), flushes and joins the thread.
  void stop();

 private:
  OutputChannel(OutputSpec spec, std::unique_ptr<Spool> spool, MetricsRegistry& metrics);
  void run();
  // Moves queued records to the spool; called with the lock released.
  void spool_incoming(std::deque<Record>& incoming);
  bool fill_batch(std::vector<Record>& batch);
  void send_batch(std::vector<Record>& batch);
  void wait_backoff(std::chrono::milliseconds delay);
  void count_spool_losses();

  OutputOptions options_;
  std::unique_ptr<Exporter> exporter_;
  std::unique_ptr<Spool> spool_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Record> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  bool failing_ = false;
  bool spool_readable_ = false;  // the spool may hold records not yet read
  std::chrono::milliseconds backoff_;

  Counter& sent_;
  Counter& failed_;
  Counter& rejected_;
  Counter& dropped_queue_;
  Counter& dropped_spool_;
  Counter& dropped_corrupt_;
  Counter& dropped_shutdown_;
  Counter& send_us_;
  Counter& batches_;
  Gauge& depth_;
  Gauge& spool_bytes_;
  Gauge& spool_records_;
  Gauge& up_;
  std::thread thread_;
};

}  // namespace ztai
