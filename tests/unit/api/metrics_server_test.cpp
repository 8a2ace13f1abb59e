#include "agent/api/metrics_server.h"

#include <gtest/gtest.h>

#include "agent/cli/commands.h"

namespace ztai {
namespace {

TEST(MetricsServer, ServesMetricsAndHealthOnALocalPort) {
  MetricsRegistry metrics;
  metrics.counter("ztai_output_sent_total", "Records an output delivered", {{"output", "siem"}}).inc(42);
  metrics.gauge("ztai_output_spool_bytes", "Bytes in an output's spool", {{"output", "siem"}}).set(4096);
  auto server = MetricsServer::start("127.0.0.1:0", metrics);
  ASSERT_TRUE(server) << server.error().message();
  std::string address = "127.0.0.1:" + std::to_string((*server)->port());
  auto text = http_get_local(address, "/metrics");
  ASSERT_TRUE(text) << text.error().message();
  EXPECT_NE(text->find("# TYPE ztai_output_sent_total counter"), std::string::npos);
  EXPECT_NE(text->find("ztai_output_sent_total{output=\"siem\"} 42"), std::string::npos) << *text;
  auto health = http_get_local(address, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(*health, "ok\n");
  auto missing = http_get_local(address, "/nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("404"), std::string::npos);
  // `ztai status` reads the same endpoint.
  EXPECT_EQ(status_command({"--address", address}), 0);
}

TEST(MetricsServer, BadOrTakenAddressesAreErrors) {
  MetricsRegistry metrics;
  EXPECT_FALSE(MetricsServer::start("localhost", metrics));
  EXPECT_FALSE(MetricsServer::start("127.0.0.1:99999", metrics));
  EXPECT_FALSE(MetricsServer::start("not-an-ip:80", metrics));
  auto first = MetricsServer::start("127.0.0.1:0", metrics);
  ASSERT_TRUE(first);
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string((*first)->port()), metrics);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("Address already in use"), std::string::npos);
}

TEST(MetricsServer, StatusFailsWhenNoAgentListens) {
  EXPECT_EQ(status_command({"--address", "127.0.0.1:1"}), 1);
}

}  // namespace
}  // namespace ztai
