// A DNS resolver for kernel tests and benchmarks, in the calling process: on 127.0.0.2 (a random
// port) it answers every query with a CNAME to cdn.elsewhere.test whose A is 127.0.0.3 and AAAA
// ::1, with the TTL given; a name starting with "forged." is answered from a second socket on
// 127.0.0.4 instead, as a forger on another address would.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace ztai::testing {

class TestResolver {
 public:
  explicit TestResolver(uint32_t ttl_seconds);
  ~TestResolver();
  TestResolver(const TestResolver&) = delete;
  TestResolver& operator=(const TestResolver&) = delete;

  bool ok() const { return real_ >= 0 && forger_ >= 0; }
  uint16_t port() const { return real_port_; }
  uint16_t forger_port() const { return forger_port_; }
  // Sends, from the resolver's own socket, an answer for name to 127.0.0.1:port, which asked
  // nothing.
  void answer_unasked(const std::string& name, uint16_t port) const;

 private:
  void serve();
  uint32_t ttl_;
  int real_ = -1, forger_ = -1;
  uint16_t real_port_ = 0, forger_port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A query for the A record of name.
std::string dns_query(const std::string& name, uint16_t id);

// Asks 127.0.0.2:port for name from the calling process and waits up to 2 s for an answer: 0, or
// 201 (the send failed) or 202 (no answer).
int resolve_from(const std::string& name, uint16_t port);

}  // namespace ztai::testing
