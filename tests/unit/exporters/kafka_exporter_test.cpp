// No Kafka broker runs here: these tests cover the configuration and what happens when no
// broker answers (every record comes back for a retry, nothing is counted as delivered).
#include <gtest/gtest.h>

#include "exporters/exporter.h"

namespace ztai {
namespace {

TEST(KafkaExporter, ConfigIsChecked) {
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "kafka"};
  auto missing = builtin_exporters().create("kafka", YAML::Load("{type: kafka, topic: alerts}"), ctx);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("'brokers' and 'topic' are required"), std::string::npos);
  auto bad = builtin_exporters().create(
      "kafka", YAML::Load("{type: kafka, brokers: 127.0.0.1:1, topic: t, properties: {no.such.property: x}}"), ctx);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("kafka property no.such.property"), std::string::npos)
      << bad.error().message();
}

TEST(KafkaExporter, UnreachableBrokerLeavesEveryRecordForARetry) {
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "kafka"};
  auto e = builtin_exporters().create("kafka", YAML::Load("{type: kafka, brokers: 127.0.0.1:1, topic: alerts, "
                                                          "timeout_ms: 1000, format: ocsf}"),
                                      ctx);
  ASSERT_TRUE(e) << e.error().message();
  std::vector<Record> batch(3);
  for (Record& r : batch) r.rule = "r";
  DeliveryReport report = (*e)->deliver(batch);
  EXPECT_EQ(report.retry, (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(report.rejected.empty());
  ASSERT_TRUE(report.error);
  EXPECT_NE(report.error->message().find("kafka:"), std::string::npos);
}

}  // namespace
}  // namespace ztai
