#include "agent/pipeline/output_stage.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace ztai {
namespace {

// Records what it receives; can be held closed to fill the queue.
class GateExporter : public Exporter {
 public:
  std::string_view name() const override { return "gate"; }
  Status send(const Record& r) override {
    std::unique_lock lock(mutex);
    opened.wait(lock, [&] { return open; });
    received.push_back(r.rule);
    if (fail_next) {
      fail_next = false;
      return make_error(ErrorCode::kIo, "receiver down");
    }
    return {};
  }
  Status flush() override {
    ++flushes;
    return {};
  }
  void set_open(bool o) {
    {
      std::lock_guard lock(mutex);
      open = o;
    }
    opened.notify_all();
  }

  std::mutex mutex;
  std::condition_variable opened;
  bool open = true;
  bool fail_next = false;
  std::vector<std::string> received;
  int flushes = 0;
};

Record alert(std::string rule) {
  Record r;
  r.rule = std::move(rule);
  return r;
}

TEST(OutputStage, DeliversEverythingInOrderAndFlushesAtStop) {
  MetricsRegistry metrics;
  auto exp = std::make_unique<GateExporter>();
  GateExporter* gate = exp.get();
  std::vector<std::unique_ptr<Exporter>> v;
  v.push_back(std::move(exp));
  OutputStage stage(std::move(v), 100, metrics);
  for (int i = 0; i < 50; ++i) stage.submit(alert(std::to_string(i)));
  stage.stop();
  ASSERT_EQ(gate->received.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(gate->received[i], std::to_string(i));
  EXPECT_GE(gate->flushes, 1);
  EXPECT_EQ(metrics.value("ztai_output_sent_total", {{"output", "gate"}}), 50);
}

TEST(OutputStage, FullQueueDropsTheOldestAndCountsIt) {
  MetricsRegistry metrics;
  auto exp = std::make_unique<GateExporter>();
  GateExporter* gate = exp.get();
  gate->set_open(false);
  std::vector<std::unique_ptr<Exporter>> v;
  v.push_back(std::move(exp));
  OutputStage stage(std::move(v), 4, metrics);
  stage.submit(alert("first"));  // taken by the worker, which blocks in send()
  while (metrics.value("ztai_output_queue_depth", {{"output", "gate"}}) != 0) std::this_thread::yield();
  for (int i = 0; i < 10; ++i) stage.submit(alert("q" + std::to_string(i)));
  EXPECT_EQ(metrics.value("ztai_output_dropped_total", {{"output", "gate"}, {"reason", "queue_full"}}), 6);
  gate->set_open(true);
  stage.stop();
  EXPECT_EQ(gate->received, (std::vector<std::string>{"first", "q6", "q7", "q8", "q9"}));
}

TEST(OutputStage, AFailedSendIsCountedAndRetried) {
  MetricsRegistry metrics;
  auto exp = std::make_unique<GateExporter>();
  exp->fail_next = true;
  GateExporter* gate = exp.get();
  std::vector<std::unique_ptr<Exporter>> v;
  v.push_back(std::move(exp));
  OutputStage stage(std::move(v), 10, metrics);
  stage.submit(alert("a"));
  stage.submit(alert("b"));
  stage.stop();
  // The failed record is sent again (at least once), then the rest follows in order.
  EXPECT_EQ(gate->received, (std::vector<std::string>{"a", "a", "b"}));
  // 1 or 2: "b" counts as failed too when it was in the same batch.
  EXPECT_GE(metrics.value("ztai_output_failed_total", {{"output", "gate"}}), 1);
  EXPECT_EQ(metrics.value("ztai_output_sent_total", {{"output", "gate"}}), 2);
}

}  // namespace
}  // namespace ztai
