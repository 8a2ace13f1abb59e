#include "agent/pipeline/output_channel.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "agent/common/log.h"
#include "exporters/spool/spool.h"

namespace ztai {
namespace {

MetricLabels labels(const std::string& output, std::string_view reason = {}) {
  MetricLabels l{{"output", output}};
  if (!reason.empty()) l.emplace_back("reason", std::string(reason));
  return l;
}

constexpr std::chrono::milliseconds kLastAttemptGrace{100};

constexpr std::string_view kDroppedHelp = "Records an output lost: queue full, spool full, corrupted, or at shutdown";

}  // namespace

// Everything the output's thread uses. The channel and the thread share it, so a thread left
// behind in a stuck exporter keeps it alive; once abandoned, that thread touches nothing else
// (the metrics registry may be gone by the time its write returns).
class OutputChannel::Delivery {
 public:
  Delivery(OutputSpec spec, std::unique_ptr<Spool> spool, MetricsRegistry& metrics);

  const OutputOptions& options() const { return options_; }
  void submit(Record record);
  void run();
  // Asks the thread to stop and waits until it has finished (true) or until it is still inside
  // the exporter after the stop deadline (false): then it is abandoned, what it held is kept in
  // the spool or counted as lost, and the caller must detach it.
  bool finish_or_abandon();

 private:
  // Runs an exporter call that may block without bound. False when the channel gave up on the
  // thread meanwhile: the caller returns at once.
  bool call_exporter(size_t records, const std::function<void()>& call);
  // Moves queued records to the spool; called with the lock released.
  void spool_incoming(std::deque<Record>& incoming);
  bool fill_batch(std::vector<Record>& batch);
  // False when the thread was abandoned during the attempt.
  bool send_batch(std::vector<Record>& batch);
  void wait_backoff(std::chrono::milliseconds delay);
  void count_spool_losses();

  OutputOptions options_;
  std::unique_ptr<Exporter> exporter_;
  std::unique_ptr<Spool> spool_;

  std::mutex mutex_;
  std::condition_variable wake_;     // the thread waits for records or the stop
  std::condition_variable changed_;  // the stopper waits for the thread to finish or enter the exporter
  std::deque<Record> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  bool in_exporter_ = false;
  size_t in_flight_ = 0;  // records the exporter call holds
  bool finished_ = false;
  bool abandoned_ = false;
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
};

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
  return std::unique_ptr<OutputChannel>(
      new OutputChannel(std::make_shared<Delivery>(std::move(spec), std::move(spool), metrics)));
}

OutputChannel::OutputChannel(std::shared_ptr<Delivery> delivery) : delivery_(std::move(delivery)) {
  thread_ = std::thread([d = delivery_] { d->run(); });
}

OutputChannel::~OutputChannel() { stop(); }

const OutputOptions& OutputChannel::options() const { return delivery_->options(); }

void OutputChannel::submit(Record record) { delivery_->submit(std::move(record)); }

void OutputChannel::stop() {
  if (!thread_.joinable()) return;
  if (delivery_->finish_or_abandon()) {
    thread_.join();
  } else {
    thread_.detach();
  }
}

OutputChannel::Delivery::Delivery(OutputSpec spec, std::unique_ptr<Spool> spool, MetricsRegistry& metrics)
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
}

void OutputChannel::Delivery::submit(Record record) {
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

bool OutputChannel::Delivery::finish_or_abandon() {
  std::unique_lock lock(mutex_);
  if (!stopping_) {
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + options_.stop_timeout;
  }
  wake_.notify_one();
  // Past the deadline the thread starts no new attempt. The one under way gets a moment more:
  // giving up on an attempt about to return would lose its records for nothing.
  if (changed_.wait_until(lock, stop_deadline_ + kLastAttemptGrace, [&] { return finished_; })) return true;
  // Spool bookkeeping does not wait on a receiver: only a thread inside the exporter is stuck.
  changed_.wait(lock, [&] { return finished_ || in_exporter_; });
  if (finished_) return true;
  abandoned_ = true;
  std::deque<Record> left;
  left.swap(queue_);
  depth_.set(0);
  const size_t held = in_flight_;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - (stop_deadline_ - options_.stop_timeout));
  lock.unlock();
  if (spool_) {
    // The stuck thread no longer touches the spool; the batch it holds was never committed.
    spool_incoming(left);
    log::error("output {}: still delivering {} ms after the stop began; gave up on it, {} records stay in the "
               "spool for the next start",
               options_.name, waited.count(), spool_->records());
  } else {
    dropped_shutdown_.inc(held + left.size());
    log::error("output {}: still delivering {} ms after the stop began; gave up on it, {} records lost (no spool "
               "configured)",
               options_.name, waited.count(), held + left.size());
  }
  return false;
}

bool OutputChannel::Delivery::call_exporter(size_t records, const std::function<void()>& call) {
  {
    std::lock_guard lock(mutex_);
    in_exporter_ = true;
    in_flight_ = records;
  }
  changed_.notify_all();
  call();
  std::lock_guard lock(mutex_);
  in_exporter_ = false;
  return !abandoned_;
}

void OutputChannel::Delivery::count_spool_losses() {
  dropped_spool_.inc(spool_->take_dropped());
  dropped_corrupt_.inc(spool_->take_corrupt());
  spool_bytes_.set(static_cast<int64_t>(spool_->bytes()));
  spool_records_.set(static_cast<int64_t>(spool_->records()));
}

void OutputChannel::Delivery::spool_incoming(std::deque<Record>& incoming) {
  for (const Record& r : incoming) {
    if (Status s = spool_->append(r); !s) log::warn("output {}: {}", options_.name, s.error().message());
  }
  if (!incoming.empty()) spool_readable_ = true;
  incoming.clear();
  if (Status s = spool_->sync(); !s) log::warn("output {}: {}", options_.name, s.error().message());
  count_spool_losses();
}

bool OutputChannel::Delivery::fill_batch(std::vector<Record>& batch) {
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

bool OutputChannel::Delivery::send_batch(std::vector<Record>& batch) {
  auto start = std::chrono::steady_clock::now();
  DeliveryReport report;
  if (!call_exporter(batch.size(), [&] { report = exporter_->deliver(batch); })) return false;
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
    return true;
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
  return true;
}

void OutputChannel::Delivery::wait_backoff(std::chrono::milliseconds delay) {
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

void OutputChannel::Delivery::run() {
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
    if (!send_batch(batch)) return;
  }
  Status flushed;
  if (!call_exporter(batch.size(), [&] { flushed = exporter_->flush(); })) return;
  if (!flushed) log::warn("output {}: {}", options_.name, flushed.error().message());
  std::lock_guard lock(mutex_);
  uint64_t left = spool_ ? 0 : batch.size() + queue_.size();
  if (left > 0) {
    dropped_shutdown_.inc(left);
    log::error("output {}: {} records not delivered at shutdown (no spool configured)", options_.name, left);
  } else if (spool_ && spool_->records() > 0) {
    log::warn("output {}: {} records stay in the spool for the next start", options_.name, spool_->records());
  }
  finished_ = true;
  changed_.notify_all();
}

}  // namespace ztai
