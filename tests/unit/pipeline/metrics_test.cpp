#include "agent/pipeline/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace ztai {
namespace {

TEST(Metrics, SameNameAndLabelsGiveTheSameSeries) {
  MetricsRegistry m;
  Counter& a = m.counter("x_total", "help", {{"k", "v"}});
  Counter& b = m.counter("x_total", "help", {{"k", "v"}});
  Counter& c = m.counter("x_total", "help", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc(2);
  c.inc();
  EXPECT_EQ(m.value("x_total", {{"k", "v"}}), 2);
  EXPECT_EQ(m.value("x_total", {{"k", "w"}}), 1);
}

TEST(Metrics, CountsFromManyThreads) {
  MetricsRegistry m;
  Counter& c = m.counter("n_total", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { for (int i = 0; i < 10000; ++i) c.inc(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
}

TEST(Metrics, RendersPrometheusTextWithCollectors) {
  MetricsRegistry m;
  m.counter("ztai_events_total", "Events", {{"type", "execve"}}).inc(3);
  m.gauge("ztai_depth", "Depth").set(-2);
  m.add_collector([](std::vector<MetricSample>& out) {
    out.push_back({"ztai_kernel_drops_total", "Drops", MetricKind::kCounter, {{"ring", "a\"b"}}, 4});
  });
  EXPECT_EQ(render_prometheus(m.snapshot()),
            "# HELP ztai_depth Depth\n# TYPE ztai_depth gauge\nztai_depth -2\n"
            "# HELP ztai_events_total Events\n# TYPE ztai_events_total counter\n"
            "ztai_events_total{type=\"execve\"} 3\n"
            "# HELP ztai_kernel_drops_total Drops\n# TYPE ztai_kernel_drops_total counter\n"
            "ztai_kernel_drops_total{ring=\"a\\\"b\"} 4\n");
}

}  // namespace
}  // namespace ztai
