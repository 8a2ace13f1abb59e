#include "agent/pipeline/output_channel.h"

#include "agent/common/log.h"

namespace ztai {
namespace {

MetricLabels labels(const std::string& output, std::string_view reason = {}) {
  MetricLabels l{{"output", output}};
  if (!reason.empty()) l.emplace_back("reason", std::string(reason));
  return l;
}

constexpr std::string_view kDroppedHelp = "Records an output lost: queue full, spool full, corrupted, or at shutdown";

}  // namespace

Result<std::unique_ptr<OutputChannel>> OutputChannel::create(OutputSpec spec, MetricsRegistry& metrics) {
  std::unique_ptr<Spool> spool;
  if (spec.options.spool) {
    auto s = Spool::open(*spec.options.spool);
    if (!s) return s.error().context(fmt::format("output {}", spec.options.name));
    spool = std::move(*s);
    if (spool->records() > 0) {
      log::info("output {}: {} undelivered records in the spool from an earlier run", spec.options.name,
                spool->records());
    }
  }
  return std::unique_ptr<OutputChannel>(new OutputChannel(std::move(spec), std::move(spool), metrics));
}

OutputChannel::OutputChannel(OutputSpec spec, std::unique_ptr<Spool> spool, MetricsRegistry& metrics)
    : options_(std::move(spec.options)),
      exporter_(std::move(spec.exporter)),
      spool_(std::move(spool)),
      backoff_(options_.initial_backoff),
      sent_(metrics.counter("ztai_output_sent_total", "Records an output delivered", labels(options_.name))),
      failed_(metrics.counter("ztai_output_failed_total", "Record deliveries that failed and are retried",
                              labels(options_.name))),
      rejected_(metrics.counter("ztai_output_rejected_total", "Records a receiver refused for good (not retried)",
                                labels(options_.name))),
      dropped_queue_(metrics.counter("ztai_output_dropped_total", kDroppedHelp, labels(options_.name, "queue_full"))),
      dropped_spool_(metrics.counter("ztai_output_dropped_total", kDroppedHelp, labels(options_.name, "spool_full"))),
      dropped_corrupt_(metrics.counter("ztai_output_dropped_total", kDroppedHelp, labels(options_.name, "corrupt"))),
      dropped_shutdown_(metrics.counter("ztai_output_dropped_total", kDroppedHelp, labels(options_.name, "shutdown"))),
      send_us_(metrics.counter("ztai_output_send_microseconds_total", "Time spent in delivery attempts",
                               labels(options_.name))),
      batches_(metrics.counter("ztai_output_batches_total", "Delivery attempts (batches)", labels(options_.name))),
      depth_(metrics.gauge("ztai_output_queue_depth", "Records in an output's memory queue", labels(options_.name))),
      spool_bytes_(metrics.gauge("ztai_output_spool_bytes", "Bytes in an output's spool", labels(options_.name))),
      spool_records_(metrics.gauge("ztai_output_spool_records", "Undelivered records in an output's spool",
                                   labels(options_.name))),
      up_(metrics.gauge("ztai_output_up", "1 when the output's last delivery succeeded", labels(options_.name))) {
  up_.set(1);
  if (spool_) {
    spool_readable_ = spool_->records() > 0;
    spool_bytes_.set(static_cast<int64_t>(spool_->bytes()));
    spool_records_.set(static_cast<int64_t>(spool_->records()));
  }
  thread_ = std::thread([this] { run(); });
}

OutputChannel::~OutputChannel() { stop(); }

void OutputChannel::submit(Record record) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_capacity) {
      queue_.pop_front();
      dropped_queue_.inc();
    }
    queue_.push_back(std::move(record));
    depth_.set(static_cast<int64_t>(queue_.size()));
  }
  wake_.notify_one();
}

void OutputChannel::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + options_.stop_timeout;
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OutputChannel::count_spool_losses() {
  dropped_spool_.inc(spool_->take_dropped());
  dropped_corrupt_.inc(spool_->take_corrupt());
  spool_bytes_.set(static_cast<int64_t>(spool_->bytes()));
  spool_records_.set(static_cast<int64_t>(spool_->records()));
}

void OutputChannel::spool_incoming(std::deque<Record>& incoming) {
  for (const Record& r : incoming) {
    if (Status s = spool_->append(r); !s) log::warn("output {}: {}", options_.name, s.error().message());
  }
  if (!incoming.empty()) spool_readable_ = true;
  incoming.clear();
  if (Status s = spool_->sync(); !s) log::warn("output {}: {}", options_.name, s.error().message());
  count_spool_losses();
}

bool OutputChannel::fill_batch(std::vector<Record>& batch) {
  const size_t max = std::max<size_t>(1, exporter_->max_batch());
  if (spool_) {
    auto read = spool_->read(max);
    if (!read) {
      // Try again when new records arrive rather than spin on a failing disk.
      spool_readable_ = false;
      log::warn("output {}: {}", options_.name, read.error().message());
      return false;
    }
    batch = std::move(*read);
    if (batch.empty()) {
      // Caught up (entries skipped as corrupt are done with too): sleep until records arrive.
      spool_readable_ = false;
      if (Status s = spool_->commit(); !s) log::warn("output {}: {}", options_.name, s.error().message());
    }
    count_spool_losses();
    return !batch.empty();
  }
  std::lock_guard lock(mutex_);
  while (!queue_.empty() && batch.size() < max) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  depth_.set(static_cast<int64_t>(queue_.size()));
  return !batch.empty();
}

void OutputChannel::send_batch(std::vector<Record>& batch) {
  auto start = std::chrono::steady_clock::now();
  DeliveryReport report = exporter_->deliver(batch);
  send_us_.inc(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()));
  batches_.inc();
  for (const auto& [index, why] : report.rejected) {
    log::error("output {}: the receiver refused a record of rule '{}' for good: {}", options_.name,
               batch[index].rule, why);
  }
  rejected_.inc(report.rejected.size());
  sent_.inc(batch.size() - report.retry.size() - report.rejected.size());
  if (report.retry.empty()) {
    batch.clear();
    if (spool_) {
      if (Status s = spool_->commit(); !s) log::warn("output {}: {}", options_.name, s.error().message());
      count_spool_losses();
    }
    if (failing_) log::info("output {}: delivering again", options_.name);
    failing_ = false;
    up_.set(1);
    backoff_ = options_.initial_backoff;
    return;
  }
  failed_.inc(report.retry.size());
  std::vector<Record> again;
  again.reserve(report.retry.size());
  for (size_t i : report.retry) again.push_back(std::move(batch[i]));
  batch = std::move(again);
  auto delay = report.retry_after.count() > 0 ? std::min(report.retry_after, std::chrono::milliseconds(3'600'000))
                                              : backoff_;
  log::warn("output {}: {} records not delivered, retrying in {} ms: {}", options_.name, batch.size(), delay.count(),
            report.error ? report.error->message() : "no reason given");
  failing_ = true;
  up_.set(0);
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  wait_backoff(delay);
}

void OutputChannel::wait_backoff(std::chrono::milliseconds delay) {
  const auto wanted = std::chrono::steady_clock::now() + delay;
  std::unique_lock lock(mutex_);
  bool stop_seen = false;
  while (true) {
    // At shutdown retries go on, but not past the stop deadline.
    if (stopping_) stop_seen = true;
    auto until = stop_seen ? std::min(wanted, stop_deadline_) : wanted;
    // While the receiver is down new records go to disk, not into a queue that would overflow.
    if (!wake_.wait_until(lock, until, [&] { return (stopping_ && !stop_seen) || (spool_ && !queue_.empty()); })) {
      break;
    }
    if (spool_ && !queue_.empty()) {
      std::deque<Record> incoming;
      incoming.swap(queue_);
      depth_.set(0);
      lock.unlock();
      spool_incoming(incoming);
      lock.lock();
    }
  }
}

void OutputChannel::run() {
  std::vector<Record> batch;
  while (true) {
    bool stopping;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !queue_.empty() || !batch.empty() || spool_readable_;
      });
      stopping = stopping_;
    }
    if (spool_) {
      std::deque<Record> incoming;
      {
        std::lock_guard lock(mutex_);
        incoming.swap(queue_);
        depth_.set(0);
      }
      spool_incoming(incoming);
    }
    if (batch.empty() && !fill_batch(batch)) {
      if (stopping) break;
      continue;
    }
    if (stopping && std::chrono::steady_clock::now() >= stop_deadline_) break;
    send_batch(batch);
  }
  if (Status s = exporter_->flush(); !s) log::warn("output {}: {}", options_.name, s.error().message());
  std::lock_guard lock(mutex_);
  uint64_t left = spool_ ? 0 : batch.size() + queue_.size();
  if (left > 0) {
    dropped_shutdown_.inc(left);
    log::error("output {}: {} records not delivered at shutdown (no spool configured)", options_.name, left);
  } else if (spool_ && spool_->records() > 0) {
    log::warn("output {}: {} records stay in the spool for the next start", options_.name, spool_->records());
  }
}

}  // namespace ztai
