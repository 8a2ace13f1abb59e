// Transports that need no outside receiver: file rotation (with compression) and syslog over
// UDP to a socket the test binds on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "exporters/exporter.h"
#include "exporters/format/syslog_format.h"

namespace ztai {
namespace {

Record alert(int i) {
  Record r;
  r.time_unix_ns = 1'700'000'000'000'000'000ULL;
  r.rule = "r" + std::to_string(i);
  r.hostname = "h";
  r.output = std::string(100, 'x');
  return r;
}

TEST(FileOutput, RotatesBySizeKeepsNFilesAndCompresses) {
  std::string dir = std::filesystem::temp_directory_path() / ("ztai-rotate-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "file"};
  YAML::Node cfg = YAML::Load("{type: file, rotate: {max_bytes: 1000, keep_files: 2, compress: true}}");
  cfg["path"] = dir + "/alerts.json";
  {
    auto e = builtin_exporters().create("file", cfg, ctx);
    ASSERT_TRUE(e) << e.error().message();
    for (int i = 0; i < 40; ++i) ASSERT_TRUE((*e)->send(alert(i)));
    ASSERT_TRUE((*e)->flush());
  }
  EXPECT_LE(std::filesystem::file_size(dir + "/alerts.json"), 1000u);
  ASSERT_TRUE(std::filesystem::exists(dir + "/alerts.json.1.gz"));
  ASSERT_TRUE(std::filesystem::exists(dir + "/alerts.json.2.gz"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/alerts.json.3.gz"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/alerts.json.1"));
  // The newest rotated file holds the lines just before the current file's first line.
  gzFile gz = gzopen((dir + "/alerts.json.1.gz").c_str(), "rb");
  ASSERT_TRUE(gz);
  char buf[8192];
  int n = gzread(gz, buf, sizeof(buf));
  gzclose(gz);
  ASSERT_GT(n, 0);
  std::string rotated(buf, static_cast<size_t>(n));
  std::ifstream cur(dir + "/alerts.json");
  std::string first;
  std::getline(cur, first);
  EXPECT_NE(rotated.find("\"rule\":\"r"), std::string::npos);
  EXPECT_EQ(rotated.back(), '\n');
  EXPECT_NE(first.find("\"rule\":\"r"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SyslogOutput, UdpSendsOneRfc5424DatagramPerAlert) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "syslog"};
  auto e = builtin_exporters().create(
      "syslog",
      YAML::Load("{type: syslog, protocol: udp, host: 127.0.0.1, format: cef, port: " +
                 std::to_string(ntohs(a.sin_port)) + "}"),
      ctx);
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_TRUE((*e)->send(alert(1)));
  char buf[65536];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  close(fd);
  ASSERT_GT(n, 0);
  SyslogFormatOptions o;
  o.body = *find_format("cef");
  std::string want;
  format_rfc5424(alert(1), o, want);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), want);
}

TEST(SyslogOutput, ConfigErrorsNameThePlace) {
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "syslog"};
  auto proto = builtin_exporters().create("syslog", YAML::Load("{type: syslog, host: h, protocol: sctp}"), ctx);
  ASSERT_FALSE(proto);
  EXPECT_NE(proto.error().message().find("c.yaml:1:35: protocol: 'sctp' is not udp, tcp or tls"), std::string::npos)
      << proto.error().message();
  auto host = builtin_exporters().create("syslog", YAML::Load("{type: syslog}"), ctx);
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message().find("'host' is required"), std::string::npos);
  auto ca = builtin_exporters().create(
      "syslog", YAML::Load("{type: syslog, host: h, protocol: tls, tls: {ca_file: /nonexistent/ca.pem}}"), ctx);
  ASSERT_FALSE(ca);
  EXPECT_NE(ca.error().message().find("tls:"), std::string::npos) << ca.error().message();
}

}  // namespace
}  // namespace ztai
