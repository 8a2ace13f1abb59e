// Syslog outputs against a real rsyslog: TCP and TLS deliver alerts intact, and RELP delivers
// every alert of a 10,000-alert burst while rsyslog is stopped and started again in the middle.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <thread>

#include "agent/pipeline/output_channel.h"
#include "exporters/format/syslog_format.h"
#include "tests/e2e/support/siem_receivers.h"

namespace ztai {
namespace {

using testing::Rsyslog;
using testing::RsyslogPorts;
using testing::TempDir;

Record alert(int i) {
  Record r;
  r.time_unix_ns = 1'700'000'000'000'000'000ULL + static_cast<uint64_t>(i) * 1000;
  r.rule = "Burst rule";
  r.priority = Priority::kWarning;
  r.source = "syscall";
  r.hostname = "node-1";
  r.output = "alert " + std::to_string(i) + " sh -c 'a|b=c\\d'";
  r.tags = {"t1"};
  r.fields = {{"proc.pid", uint64_t(1000 + i)}, {"proc.cmdline", std::string("sh -c 'a|b=c\\d' \xff")}};
  return r;
}

std::string expected_message(int i) {
  SyslogFormatOptions o;
  o.body = *find_format("json");
  std::string out;
  format_rfc5424(alert(i), o, out);
  return out;
}

std::unique_ptr<OutputChannel> channel(const std::string& yaml, MetricsRegistry& metrics) {
  auto spec = create_output(YAML::Load(yaml), builtin_exporters(), metrics, "test.yaml", 65536);
  EXPECT_TRUE(spec) << spec.error().message();
  if (!spec) return nullptr;
  spec->options.initial_backoff = std::chrono::milliseconds(50);
  spec->options.max_backoff = std::chrono::milliseconds(500);
  spec->options.stop_timeout = std::chrono::seconds(30);
  auto c = OutputChannel::create(std::move(*spec), metrics);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

// Waits until the receiver's file holds n lines.
std::vector<std::string> wait_for_lines(const std::string& file, size_t n, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> lines;
  while (std::chrono::steady_clock::now() < until) {
    lines = testing::read_lines(file);
    if (lines.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return lines;
}

class SyslogDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(testing::make_test_pki(dir_.path()));
  }
  TempDir dir_;
};

TEST_F(SyslogDelivery, TcpAndTlsDeliverAlertsIntact) {
  RsyslogPorts ports{testing::free_port(), testing::free_port(), 0};
  Rsyslog rsyslog(dir_.path(), ports);
  Status started = rsyslog.start();
  ASSERT_TRUE(started) << started.error().message();
  MetricsRegistry metrics;
  auto tcp = channel(fmt::format("{{type: syslog, name: tcp, protocol: tcp, host: 127.0.0.1, port: {}}}", ports.tcp),
                     metrics);
  auto tls = channel(fmt::format("{{type: syslog, name: tls, protocol: tls, host: 127.0.0.1, port: {}, "
                                 "tls: {{ca_file: {}/ca.pem, cert_file: {}/client.pem, key_file: {}/client.key}}}}",
                                 ports.tls, dir_.path(), dir_.path(), dir_.path()),
                     metrics);
  ASSERT_TRUE(tcp && tls);
  for (int i = 0; i < 100; ++i) {
    tcp->submit(alert(i));
    tls->submit(alert(1000 + i));
  }
  auto lines = wait_for_lines(rsyslog.out_file(), 200, std::chrono::seconds(30));
  tcp->stop();
  tls->stop();
  ASSERT_EQ(lines.size(), 200u);
  std::set<std::string> got(lines.begin(), lines.end());
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(got.count(expected_message(i))) << "tcp alert " << i << " missing or altered";
    EXPECT_TRUE(got.count(expected_message(1000 + i))) << "tls alert " << i << " missing or altered";
  }
  EXPECT_EQ(metrics.value("ztai_output_sent_total", {{"output", "tls"}}), 100);
}

TEST_F(SyslogDelivery, TlsRefusesAServerItCannotVerify) {
  RsyslogPorts ports{0, testing::free_port(), 0};
  Rsyslog rsyslog(dir_.path(), ports);
  ASSERT_TRUE(rsyslog.start());
  // A CA that did not sign the server's certificate.
  TempDir other;
  ASSERT_TRUE(testing::make_test_pki(other.path()));
  MetricsRegistry metrics;
  auto spec = create_output(YAML::Load(fmt::format("{{type: syslog, protocol: tls, host: 127.0.0.1, port: {}, "
                                                   "tls: {{ca_file: {}/ca.pem}}}}",
                                                   ports.tls, other.path())),
                            builtin_exporters(), metrics, "test.yaml", 100);
  ASSERT_TRUE(spec);
  Status s = spec->exporter->send(alert(1));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("handshake failed"), std::string::npos) << s.error().message();
}

TEST_F(SyslogDelivery, RelpDeliversAWholeBurstAcrossAReceiverRestart) {
  RsyslogPorts ports{0, 0, testing::free_port()};
  Rsyslog rsyslog(dir_.path(), ports);
  ASSERT_TRUE(rsyslog.start());
  MetricsRegistry metrics;
  auto relp = channel(fmt::format("{{type: relp, host: 127.0.0.1, port: {}, spool: {{dir: {}/spool}}}}", ports.relp,
                                  dir_.path()),
                      metrics);
  ASSERT_TRUE(relp);
  constexpr int kBurst = 10'000;
  std::thread producer([&] {
    for (int i = 0; i < kBurst; ++i) relp->submit(alert(i));
  });
  // Stop the receiver once part of the burst has arrived, keep it down for a while, restart it.
  size_t before_stop = wait_for_lines(rsyslog.out_file(), 2000, std::chrono::seconds(30)).size();
  rsyslog.stop();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(rsyslog.start());
  producer.join();
  auto lines = wait_for_lines(rsyslog.out_file(), kBurst, std::chrono::seconds(120));
  relp->stop();
  lines = testing::read_lines(rsyslog.out_file());
  std::set<std::string> expected;
  for (int i = 0; i < kBurst; ++i) expected.insert(expected_message(i));
  std::set<std::string> got;
  size_t corrupted = 0;
  for (const std::string& l : lines) {
    if (expected.count(l)) {
      got.insert(l);
    } else {
      ++corrupted;
    }
  }
  EXPECT_EQ(corrupted, 0u);
  // The restart really fell inside the burst: deliveries failed while rsyslog was down.
  EXPECT_LT(before_stop, static_cast<size_t>(kBurst));
  EXPECT_GT(metrics.value("ztai_output_failed_total", {{"output", "relp"}}), 0);
  EXPECT_EQ(got.size(), static_cast<size_t>(kBurst)) << "lost " << kBurst - got.size() << " alerts";
  // At least once: a resent window may duplicate, never lose.
  RecordProperty("duplicates", static_cast<int>(lines.size() - got.size()));
  std::cout << "relp burst: " << before_stop << " received before the stop; " << kBurst << " sent, " << got.size() << " received, " << lines.size() - got.size()
            << " duplicates, failed attempts " << metrics.value("ztai_output_failed_total", {{"output", "relp"}})
            << "\n";
}

}  // namespace
}  // namespace ztai
