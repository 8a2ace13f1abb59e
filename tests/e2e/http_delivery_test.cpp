// HTTP outputs against a local HTTPS receiver that checks each wire format (HEC envelope,
// _bulk NDJSON with per-item results, OTLP JSON, webhook signature) and answers 429/503 for a
// while: every alert arrives once it recovers, and only the document it refuses for good is
// dropped, counted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <thread>

#include "agent/pipeline/output_channel.h"
#include "tests/e2e/support/siem_receivers.h"

namespace ztai {
namespace {

using testing::TempDir;

Record alert(const std::string& output) {
  Record r;
  r.time_unix_ns = 1'700'000'000'000'000'000ULL;
  r.rule = "Outbound to unknown host";
  r.priority = Priority::kError;
  r.source = "syscall";
  r.hostname = "node-1";
  r.output = output;
  r.tags = {"network"};
  r.fields = {{"proc.pid", uint64_t(7)}, {"fd.dip", std::string("10.1.2.3")}, {"fd.dport", uint64_t(443)}};
  return r;
}

std::set<std::string> wait_for(const std::string& file, size_t n, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  std::set<std::string> got;
  while (std::chrono::steady_clock::now() < until) {
    got.clear();
    for (const std::string& l : testing::read_lines(file)) got.insert(nlohmann::json::parse(l).get<std::string>());
    if (got.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

class HttpDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::make_test_pki(dir_.path()));
    Status s = receiver_.start({"python3", ZTAI_SOURCE_DIR "/tests/e2e/support/https_receiver.py", "--dir",
                                dir_.path(), "--cert", dir_.path() + "/server.pem", "--key",
                                dir_.path() + "/server.key", "--fail", "4"},
                               dir_.path() + "/receiver.log");
    ASSERT_TRUE(s) << s.error().message();
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_.path() + "/port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto lines = testing::read_lines(dir_.path() + "/port");
    ASSERT_EQ(lines.size(), 1u) << "the receiver did not start (see receiver.log)";
    base_ = "https://127.0.0.1:" + lines[0];
  }

  std::unique_ptr<OutputChannel> channel(const std::string& yaml) {
    YAML::Node node = YAML::Load(yaml);
    node["tls"]["ca_file"] = dir_.path() + "/ca.pem";
    auto spec = create_output(node, builtin_exporters(), metrics_, "test.yaml", 65536);
    EXPECT_TRUE(spec) << spec.error().message();
    if (!spec) return nullptr;
    spec->options.initial_backoff = std::chrono::milliseconds(100);
    spec->options.max_backoff = std::chrono::milliseconds(400);
    spec->options.stop_timeout = std::chrono::seconds(10);
    auto c = OutputChannel::create(std::move(*spec), metrics_);
    return c ? std::move(*c) : nullptr;
  }

  void expect_all(const std::string& log, const std::vector<std::string>& outputs) {
    auto got = wait_for(dir_.path() + "/" + log, outputs.size(), std::chrono::seconds(60));
    for (const std::string& o : outputs) EXPECT_TRUE(got.count(o)) << log << ": missing " << o;
    EXPECT_EQ(got.size(), outputs.size()) << log;
  }

  void TearDown() override {
    receiver_.stop();
    EXPECT_TRUE(testing::read_lines(dir_.path() + "/violations.log").empty())
        << "wire format violations: " << testing::read_lines(dir_.path() + "/violations.log").front();
  }

  TempDir dir_;
  testing::ChildProcess receiver_;
  std::string base_;
  MetricsRegistry metrics_;
};

std::vector<std::string> outputs(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i) + " \"quoted\" \\ | = \n end");
  return v;
}

TEST_F(HttpDelivery, SplunkHecDeliversEverythingAfterTheReceiverRecovers) {
  auto c = channel("{type: splunk_hec, url: " + base_ +
                   ", token: test-token, index: security, batch_size: 7}");
  ASSERT_TRUE(c);
  auto want = outputs("hec ", 50);
  for (const auto& o : want) c->submit(alert(o));
  expect_all("hec.log", want);
  c->stop();
  EXPECT_EQ(metrics_.value("ztai_output_sent_total", {{"output", "splunk_hec"}}), 50);
  EXPECT_GE(metrics_.value("ztai_output_failed_total", {{"output", "splunk_hec"}}), 4);
}

TEST_F(HttpDelivery, SplunkHecWithIndexerAckCountsABatchOnlyOnceIndexed) {
  auto c = channel("{type: splunk_hec, url: " + base_ +
                   ", token: test-token, index: security, batch_size: 10, indexer_ack: {enabled: true, poll_ms: 50}}");
  ASSERT_TRUE(c);
  auto want = outputs("acked ", 30);
  for (const auto& o : want) c->submit(alert(o));
  expect_all("hec.log", want);
  c->stop();
  EXPECT_EQ(metrics_.value("ztai_output_sent_total", {{"output", "splunk_hec"}}), 30);
  // Each accepted batch was polled until acknowledged (the receiver acknowledges on the second poll).
  EXPECT_GE(testing::read_lines(dir_.path() + "/ack.log").size(), 6u);
}

TEST_F(HttpDelivery, ElasticsearchBulkRetriesFailedItemsAndDropsRefusedOnesCounted) {
  auto c = channel("{type: elasticsearch, url: " + base_ + ", index: ztai-test, batch_size: 10}");
  ASSERT_TRUE(c);
  auto want = outputs("bulk ", 30);
  want.push_back("flaky item");
  for (const auto& o : want) c->submit(alert(o));
  c->submit(alert("permanently-bad item"));
  expect_all("bulk.log", want);
  c->stop();
  EXPECT_EQ(metrics_.value("ztai_output_sent_total", {{"output", "elasticsearch"}}), 31);
  EXPECT_EQ(metrics_.value("ztai_output_rejected_total", {{"output", "elasticsearch"}}), 1);
}

TEST_F(HttpDelivery, OtlpLogsDeliverEverything) {
  auto c = channel("{type: otlp, url: " + base_ + ", batch_size: 16}");
  ASSERT_TRUE(c);
  auto want = outputs("otlp ", 40);
  for (const auto& o : want) c->submit(alert(o));
  expect_all("otlp.log", want);
  c->stop();
}

TEST_F(HttpDelivery, WebhookIsSignedAndDeliversEverything) {
  auto c = channel("{type: webhook, url: " + base_ + "/hook, secret: test-secret, batch_size: 5}");
  ASSERT_TRUE(c);
  auto want = outputs("hook ", 20);
  for (const auto& o : want) c->submit(alert(o));
  expect_all("hook.log", want);
  c->stop();
}

TEST_F(HttpDelivery, AWrongSecretIsRefusedAndRetriedNotLost) {
  auto c = channel("{type: webhook, url: " + base_ + "/hook, secret: wrong}");
  ASSERT_TRUE(c);
  c->submit(alert("never accepted"));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (metrics_.value("ztai_output_failed_total", {{"output", "webhook"}}) < 6 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  c->stop();
  // 401 is retried (credentials can be fixed) and the alert is counted as lost at shutdown, not silently.
  EXPECT_EQ(metrics_.value("ztai_output_sent_total", {{"output", "webhook"}}), 0);
  EXPECT_EQ(metrics_.value("ztai_output_dropped_total", {{"output", "webhook"}, {"reason", "shutdown"}}), 1);
  // The receiver saw the bad signature: that violation is expected here.
  std::filesystem::remove(dir_.path() + "/violations.log");
}

}  // namespace
}  // namespace ztai
