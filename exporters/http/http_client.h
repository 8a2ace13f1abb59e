// A small HTTP POST client over libcurl shared by the HTTP outputs: one reused connection,
// TLS with CA check and optional client certificate, a timeout, and the receiver's answer
// classified for retries (Retry-After included).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/config/yaml_map.h"
#include "exporters/exporter.h"

namespace ztai {

struct HttpOptions {
  std::string url;
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file;    // empty: the system's CAs
  std::string cert_file;  // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::vector<std::string> headers;  // "Name: value"
};

struct HttpResponse {
  long status = 0;  // 0: no response (connection, TLS or timeout error)
  std::string body;
  std::chrono::milliseconds retry_after{0};
  std::string error;  // transport error text when status is 0
};

// What to do with a whole batch after an answer: delivered, retry (receiver down, overloaded,
// or misconfigured credentials that an operator can fix) or rejected for good (the payload
// itself is bad: 400, 413, 422).
enum class HttpVerdict { kDelivered, kRetry, kRejected };
HttpVerdict classify(const HttpResponse& response);
// Seconds or an HTTP date, as RFC 9110 allows; 0 when absent or unreadable.
std::chrono::milliseconds parse_retry_after(std::string_view value);

// Reads url (required), timeout_ms, tls {ca_file, cert_file, key_file} and headers (a mapping).
Result<HttpOptions> read_http_options(YamlMap& config, std::string_view default_path = {});

// Applies a response to a whole batch.
void apply_verdict(const HttpResponse& response, size_t n, DeliveryReport& report);

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> create(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse post(const std::string& body, const std::vector<std::string>& extra_headers = {}) {
    return post_to(options_.url, body, extra_headers);
  }
  HttpResponse post_to(const std::string& url, const std::string& body, const std::vector<std::string>& extra_headers);
  const HttpOptions& options() const { return options_; }

 private:
  explicit HttpClient(HttpOptions o) : options_(std::move(o)) {}
  HttpOptions options_;
  void* curl_ = nullptr;
};

}  // namespace ztai
