#include "agent/pipeline/output_stage.h"

#include "agent/common/log.h"

namespace ztai {

OutputStage::OutputStage(std::vector<std::unique_ptr<Exporter>> exporters, size_t capacity, MetricsRegistry& metrics)
    : exporters_(std::move(exporters)),
      capacity_(capacity),
      dropped_alerts_(metrics.counter("ztai_output_queue_dropped_total",
                                      "Records dropped because the output queue was full", {{"kind", "alert"}})),
      dropped_events_(metrics.counter("ztai_output_queue_dropped_total",
                                      "Records dropped because the output queue was full", {{"kind", "event"}})),
      depth_(metrics.gauge("ztai_output_queue_depth", "Records waiting for the outputs")) {
  for (const auto& e : exporters_) {
    sent_.push_back(&metrics.counter("ztai_output_sent_total", "Records handed to an output",
                                     {{"output", std::string(e->name())}}));
    failed_.push_back(&metrics.counter("ztai_output_failed_total", "Records an output failed to write",
                                       {{"output", std::string(e->name())}}));
  }
  thread_ = std::thread([this] { run(); });
}

OutputStage::~OutputStage() { stop(); }

void OutputStage::submit(Record record) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      (queue_.front().kind == RecordKind::kAlert ? dropped_alerts_ : dropped_events_).inc();
      queue_.pop_front();
    }
    queue_.push_back(std::move(record));
    depth_.set(static_cast<int64_t>(queue_.size()));
  }
  ready_.notify_one();
}

void OutputStage::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OutputStage::deliver(const Record& record) {
  for (size_t i = 0; i < exporters_.size(); ++i) {
    if (Status s = exporters_[i]->send(record); s) {
      sent_[i]->inc();
    } else {
      failed_[i]->inc();
      log::warn("output {}: {}", exporters_[i]->name(), s.error().message());
    }
  }
}

void OutputStage::run() {
  std::deque<Record> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      batch.swap(queue_);
      depth_.set(0);
    }
    for (const Record& r : batch) deliver(r);
    batch.clear();
    // Flush once the queue has run dry, not per record: one write per burst.
    for (const auto& e : exporters_) {
      if (Status s = e->flush(); !s) log::warn("output {}: {}", e->name(), s.error().message());
    }
  }
  for (const auto& e : exporters_) (void)e->flush();
}

}  // namespace ztai
