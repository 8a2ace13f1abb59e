// The agent's local HTTP endpoint: GET /metrics (Prometheus text format) and GET /healthz.
// `ztai status` reads the same /metrics. It binds to a local address by default and serves
// one short request at a time: it is for a scraper and an operator, not for the internet.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent/common/result.h"
#include "agent/pipeline/metrics.h"

namespace ztai {

// "host:port" or "[v6]:port" -> host and port.
Result<std::pair<std::string, uint16_t>> split_listen_address(const std::string& address);

class MetricsServer {
 public:
  // Binds now (a taken port is an error at start-up); serves on its own thread.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address, const MetricsRegistry& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  MetricsServer(int listen_fd, int stop_fd, uint16_t port, const MetricsRegistry& metrics)
      : listen_fd_(listen_fd), stop_fd_(stop_fd), port_(port), metrics_(metrics) {}
  void run();
  void serve(int fd);

  int listen_fd_;
  int stop_fd_;  // eventfd: wakes the thread to exit
  uint16_t port_;
  const MetricsRegistry& metrics_;
  std::thread thread_;
};

// GET http://address/path; the body of a 200 answer, else an error naming the status.
Result<std::string> http_get_local(const std::string& address, const std::string& path);

}  // namespace ztai
