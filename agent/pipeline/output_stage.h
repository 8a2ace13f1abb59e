// The output side of the pipeline: a bounded queue and one thread that hands records to every
// exporter. When the queue is full the oldest record is dropped and counted, so a slow output
// cannot grow memory without bound (Falco #2495) nor stall the kernel reader.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/pipeline/metrics.h"
#include "exporters/exporter.h"

namespace ztai {

class OutputStage {
 public:
  OutputStage(std::vector<std::unique_ptr<Exporter>> exporters, size_t capacity, MetricsRegistry& metrics);
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  void submit(Record record);
  // Delivers what is queued, flushes every exporter and joins the thread.
  void stop();

 private:
  void run();
  void deliver(const Record& record);

  std::vector<std::unique_ptr<Exporter>> exporters_;
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Record> queue_;
  bool stopping_ = false;

  Counter& dropped_alerts_;
  Counter& dropped_events_;
  std::vector<Counter*> sent_;
  std::vector<Counter*> failed_;
  Gauge& depth_;
  std::thread thread_;
};

}  // namespace ztai
