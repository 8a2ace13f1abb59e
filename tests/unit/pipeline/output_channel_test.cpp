#include "agent/pipeline/output_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>

#include "agent/pipeline/output_stage.h"
#include "exporters/format/json_format.h"
#include "exporters/line_writer.h"

namespace ztai {
namespace {

using Clock = std::chrono::steady_clock;

// A receiver scripted per attempt: each call to deliver() pops one planned report.
class ScriptedExporter : public Exporter {
 public:
  std::string_view name() const override { return "scripted"; }
  Status send(const Record&) override { return {}; }
  DeliveryReport deliver(std::span<const Record> batch) override {
    std::lock_guard lock(mutex);
    attempts.push_back(Clock::now());
    DeliveryReport r;
    if (down) {
      r.retry_from(0, batch.size(), make_error(ErrorCode::kIo, "connection refused"));
      return r;
    }
    if (!plan.empty()) {
      r = plan.front()(batch);
      plan.erase(plan.begin());
    }
    std::vector<bool> not_delivered(batch.size());
    for (size_t i : r.retry) not_delivered[i] = true;
    for (const auto& [i, why] : r.rejected) not_delivered[i] = true;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!not_delivered[i]) delivered.push_back(batch[i].rule);
    }
    return r;
  }
  size_t max_batch() const override { return batch_max; }

  std::mutex mutex;
  bool down = false;
  size_t batch_max = 256;
  std::vector<std::function<DeliveryReport(std::span<const Record>)>> plan;
  std::vector<std::string> delivered;
  std::vector<Clock::time_point> attempts;
};

Record alert(std::string rule, Priority p = Priority::kWarning, std::vector<std::string> tags = {}) {
  Record r;
  r.rule = std::move(rule);
  r.priority = p;
  r.tags = std::move(tags);
  return r;
}

OutputSpec spec(std::unique_ptr<Exporter> e, std::string name = "scripted") {
  OutputSpec s;
  s.options.name = std::move(name);
  s.options.initial_backoff = std::chrono::milliseconds(10);
  s.options.max_backoff = std::chrono::milliseconds(40);
  s.exporter = std::move(e);
  return s;
}

TEST(OutputChannel, RetriesOnlyFailedItemsAndCountsPermanentRejections) {
  MetricsRegistry metrics;
  auto e = std::make_unique<ScriptedExporter>();
  ScriptedExporter* x = e.get();
  x->batch_max = 3;
  // First attempt: item 1 refused for good, item 2 to retry (a bulk API's per-item result).
  x->plan.push_back([](std::span<const Record>) {
    DeliveryReport r;
    r.rejected.emplace_back(1, "mapper_parsing_exception");
    r.retry.push_back(2);
    r.error = make_error(ErrorCode::kIo, "429 on item 2");
    return r;
  });
  auto c = OutputChannel::create(spec(std::move(e)), metrics);
  ASSERT_TRUE(c);
  for (auto n : {"a", "b", "c"}) (*c)->submit(alert(n));
  while (true) {
    std::lock_guard lock(x->mutex);
    if (x->delivered.size() == 2) break;
  }
  (*c)->stop();
  EXPECT_EQ(x->delivered, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(metrics.value("ztai_output_rejected_total", {{"output", "scripted"}}), 1);
  EXPECT_EQ(metrics.value("ztai_output_sent_total", {{"output", "scripted"}}), 2);
  EXPECT_EQ(metrics.value("ztai_output_failed_total", {{"output", "scripted"}}), 1);
}

TEST(OutputChannel, HonoursRetryAfter) {
  MetricsRegistry metrics;
  auto e = std::make_unique<ScriptedExporter>();
  ScriptedExporter* x = e.get();
  x->plan.push_back([](std::span<const Record> b) {
    DeliveryReport r;
    r.retry_from(0, b.size(), make_error(ErrorCode::kIo, "HTTP 429"));
    r.retry_after = std::chrono::milliseconds(300);
    return r;
  });
  auto c = OutputChannel::create(spec(std::move(e)), metrics);
  (*c)->submit(alert("a"));
  while (true) {
    std::lock_guard lock(x->mutex);
    if (!x->delivered.empty()) break;
  }
  (*c)->stop();
  ASSERT_EQ(x->attempts.size(), 2u);
  // The receiver asked for 300 ms, far above the 10 ms backoff: the retry waited for it.
  EXPECT_GE(x->attempts[1] - x->attempts[0], std::chrono::milliseconds(300));
}

TEST(OutputChannel, SpoolKeepsRecordsAcrossARestartWhileTheReceiverIsDown) {
  std::string dir = std::filesystem::temp_directory_path() / ("ztai-channel-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    MetricsRegistry metrics;
    auto e = std::make_unique<ScriptedExporter>();
    e->down = true;
    OutputSpec s = spec(std::move(e));
    s.options.spool = SpoolOptions{dir, 1 << 20};
    s.options.stop_timeout = std::chrono::milliseconds(0);
    auto c = OutputChannel::create(std::move(s), metrics);
    ASSERT_TRUE(c) << c.error().message();
    for (int i = 0; i < 100; ++i) (*c)->submit(alert("r" + std::to_string(i)));
    (*c)->stop();
    EXPECT_EQ(metrics.value("ztai_output_spool_records", {{"output", "scripted"}}), 100);
    EXPECT_EQ(metrics.value("ztai_output_dropped_total", {{"output", "scripted"}, {"reason", "shutdown"}}), 0);
  }
  MetricsRegistry metrics;
  auto e = std::make_unique<ScriptedExporter>();
  ScriptedExporter* x = e.get();
  OutputSpec s = spec(std::move(e));
  s.options.spool = SpoolOptions{dir, 1 << 20};
  auto c = OutputChannel::create(std::move(s), metrics);
  ASSERT_TRUE(c);
  (*c)->submit(alert("after-restart"));
  while (true) {
    std::lock_guard lock(x->mutex);
    if (x->delivered.size() == 101) break;
  }
  (*c)->stop();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(x->delivered[i], "r" + std::to_string(i));
  EXPECT_EQ(x->delivered[100], "after-restart");
  EXPECT_EQ(metrics.value("ztai_output_spool_records", {{"output", "scripted"}}), 0);
  std::filesystem::remove_all(dir);
}

TEST(OutputChannel, WithoutASpoolWhatIsLeftAtShutdownIsCounted) {
  MetricsRegistry metrics;
  auto e = std::make_unique<ScriptedExporter>();
  e->down = true;
  OutputSpec s = spec(std::move(e));
  s.options.stop_timeout = std::chrono::milliseconds(0);
  auto c = OutputChannel::create(std::move(s), metrics);
  for (int i = 0; i < 5; ++i) (*c)->submit(alert("x"));
  (*c)->stop();
  EXPECT_EQ(metrics.value("ztai_output_dropped_total", {{"output", "scripted"}, {"reason", "shutdown"}}) +
                metrics.value("ztai_output_sent_total", {{"output", "scripted"}}),
            5);
  EXPECT_EQ(metrics.value("ztai_output_sent_total", {{"output", "scripted"}}), 0);
}

// Runs stop() on another thread and waits for it up to 30 s: a bound on "stops at all", not a
// speed target. If it hangs, unblock() is called until the stuck thread goes, so the test can end.
bool stops_within_30s(OutputChannel& channel, const std::function<void()>& unblock) {
  std::promise<void> done;
  std::future<void> stopped = done.get_future();
  std::thread stopper([&] {
    channel.stop();
    done.set_value();
  });
  bool ok = stopped.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  while (stopped.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) unblock();
  stopper.join();
  return ok;
}

TEST(OutputChannel, StopsWhenItsStdoutIsAPipeNobodyReads) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const int reader = fds[0];
  char buf[65536];
  auto read_available = [&] {
    for (pollfd p{reader, POLLIN, 0}; poll(&p, 1, 0) > 0 && read(reader, buf, sizeof(buf)) > 0;) {
    }
  };
  constexpr int kRecords = 5000;
  {
    MetricsRegistry metrics;
    OutputSpec s = spec(std::make_unique<LineWriter>("stdout", fds[1], true, format_json), "stdout");
    s.options.stop_timeout = std::chrono::milliseconds(200);
    auto c = OutputChannel::create(std::move(s), metrics);
    ASSERT_TRUE(c);
    for (int i = 0; i < kRecords; ++i) (*c)->submit(alert("rule-" + std::to_string(i)));
    // Wait until the pipe is full: the output's thread is then blocked in write().
    int queued = 0;
    for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until; std::this_thread::yield()) {
      int size = fcntl(reader, F_GETPIPE_SZ);
      if (ioctl(reader, FIONREAD, &queued) == 0 && queued > size - 4096) break;
    }
    ASSERT_GT(queued, 0);
    ::testing::internal::CaptureStderr();
    bool stopped = stops_within_30s(**c, read_available);
    std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(stopped) << "stop() blocked on the full pipe";
    const int64_t sent = metrics.value("ztai_output_sent_total", {{"output", "stdout"}});
    const int64_t lost = metrics.value("ztai_output_dropped_total", {{"output", "stdout"}, {"reason", "shutdown"}});
    EXPECT_GT(lost, 0);
    EXPECT_EQ(sent + lost, kRecords) << "every record is either delivered or counted as lost";
    EXPECT_NE(log.find("output stdout: still delivering"), std::string::npos) << log;
    EXPECT_NE(log.find("records lost"), std::string::npos) << log;
  }
  // The channel and the metrics are gone; the abandoned thread finishes its write once the pipe
  // is read, then exits without touching them and closes the pipe: the reader sees the end.
  while (read(reader, buf, sizeof(buf)) > 0) {
  }
  close(reader);
}

// Blocks in deliver() until released, like a receiver that accepted the connection and stopped
// reading.
class StuckExporter : public Exporter {
 public:
  std::string_view name() const override { return "stuck"; }
  Status send(const Record&) override {
    std::unique_lock lock(mutex);
    ++calls;
    entered.notify_all();
    released.wait(lock, [&] { return release; });
    return {};
  }
  void wait_entered() {
    std::unique_lock lock(mutex);
    entered.wait(lock, [&] { return calls > 0; });
  }
  void set_release() {
    {
      std::lock_guard lock(mutex);
      release = true;
    }
    released.notify_all();
  }

  std::mutex mutex;
  std::condition_variable entered, released;
  int calls = 0;
  bool release = false;
};

TEST(OutputChannel, AStuckExporterIsAbandonedAtTheStopDeadlineAndTheSpoolKeepsItsRecords) {
  std::string dir = std::filesystem::temp_directory_path() / ("ztai-stuck-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  // Kept alive past the channel: the abandoned thread still uses it until released.
  auto owned = std::make_shared<StuckExporter>();
  class Handle : public Exporter {
   public:
    explicit Handle(std::shared_ptr<StuckExporter> e) : e_(std::move(e)) {}
    std::string_view name() const override { return e_->name(); }
    Status send(const Record& r) override { return e_->send(r); }

   private:
    std::shared_ptr<StuckExporter> e_;
  };
  {
    MetricsRegistry metrics;
    OutputSpec s = spec(std::make_unique<Handle>(owned));
    s.options.spool = SpoolOptions{dir, 1 << 20};
    s.options.stop_timeout = std::chrono::milliseconds(100);
    auto c = OutputChannel::create(std::move(s), metrics);
    ASSERT_TRUE(c) << c.error().message();
    (*c)->submit(alert("held"));
    owned->wait_entered();
    for (int i = 0; i < 9; ++i) (*c)->submit(alert("queued"));
    EXPECT_TRUE(stops_within_30s(**c, [&] { owned->set_release(); }));
    // The record in the stuck attempt was never committed, and the queued ones were spooled.
    EXPECT_EQ(metrics.value("ztai_output_spool_records", {{"output", "scripted"}}), 10);
    EXPECT_EQ(metrics.value("ztai_output_dropped_total", {{"output", "scripted"}, {"reason", "shutdown"}}), 0);
  }
  owned->set_release();
  auto reopened = Spool::open(SpoolOptions{dir, 1 << 20});
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->records(), 10u);
  std::filesystem::remove_all(dir);
}

TEST(OutputOptions, FiltersByPriorityRuleAndTag) {
  MetricsRegistry metrics;
  auto spec = create_output(YAML::Load("{type: stdout, min_priority: error, rules: [r1], tags: [mitre]}"),
                            builtin_exporters(), metrics, "c.yaml", 100);
  ASSERT_TRUE(spec) << spec.error().message();
  const OutputOptions& o = spec->options;
  EXPECT_TRUE(o.accepts(alert("r1", Priority::kCritical)));
  EXPECT_TRUE(o.accepts(alert("other", Priority::kError, {"mitre"})));
  EXPECT_FALSE(o.accepts(alert("r1", Priority::kWarning)));
  EXPECT_FALSE(o.accepts(alert("other", Priority::kCritical, {"x"})));
  Record event;
  event.kind = RecordKind::kEvent;
  event.priority = Priority::kEmergency;
  EXPECT_FALSE(o.accepts(event));
}

TEST(OutputOptions, ConfigErrorsNameFileAndLine) {
  MetricsRegistry metrics;
  auto bad = create_output(YAML::Load("type: stdout\nmin_priority: loud\n"), builtin_exporters(), metrics, "c.yaml",
                           100);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("c.yaml:2:15: min_priority: 'loud' is not a priority"), std::string::npos)
      << bad.error().message();
  auto typo = create_output(YAML::Load("type: stdout\nspool: {dirr: /tmp}\n"), builtin_exporters(), metrics, "c.yaml",
                            100);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("unknown key 'dirr'"), std::string::npos) << typo.error().message();
  auto dup = create_outputs({YAML::Load("{type: stdout}"), YAML::Load("{type: stdout}")}, builtin_exporters(),
                            metrics, "c.yaml", 100);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message().find("two outputs are named 'stdout'"), std::string::npos);
}

}  // namespace
}  // namespace ztai
