// The agent's local HTTP endpoint: GET /metrics (Prometheus text format) and GET /healthz.
// `ztai status` reads the same /metrics. It binds to a local address by default and serves
// one short request at a time: it is for a scraper and an operator, not for the internet.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "agent/api/accept_loop.h"
#include "agent/common/result.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

// "host:port" or "[v6]:port" -> host and port.
Result<std::pair<std::string, uint16_t>> split_listen_address(const std::string& address);

class MetricsServer {
 public:
  // Binds now (a taken port is an error at start-up); serves on its own thread.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address, const MetricsRegistry& metrics);
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  MetricsServer(uint16_t port, const MetricsRegistry& metrics) : port_(port), metrics_(metrics) {}
  void serve(int fd);

  uint16_t port_;
  const MetricsRegistry& metrics_;
  std::unique_ptr<AcceptLoop> loop_;  // last: stopped before the members it serves with go
};

// GET http://address/path; the body of a 200 answer, else an error naming the status.
Result<std::string> http_get_local(const std::string& address, const std::string& path);

}  // namespace ztai
