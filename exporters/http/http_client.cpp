#include "exporters/http/http_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>

namespace ztai {
namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  // A receiver's answer is read for per-item results and errors; a few MiB is plenty.
  if (r->body.size() < (16u << 20)) r->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    std::string_view v = line.substr(kName.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    r->retry_after = parse_retry_after(v);
  }
  return size * n;
}

}  // namespace

std::chrono::milliseconds parse_retry_after(std::string_view value) {
  if (value.empty()) return std::chrono::milliseconds(0);
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 7) return std::chrono::milliseconds(3'600'000);
    return std::chrono::seconds(std::stol(std::string(value)));
  }
  time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::chrono::milliseconds(0);
  time_t now = time(nullptr);
  return std::chrono::seconds(when > now ? when - now : 0);
}

HttpVerdict classify(const HttpResponse& r) {
  if (r.status >= 200 && r.status < 300) return HttpVerdict::kDelivered;
  if (r.status == 400 || r.status == 413 || r.status == 422) return HttpVerdict::kRejected;
  return HttpVerdict::kRetry;
}

void apply_verdict(const HttpResponse& r, size_t n, DeliveryReport& report) {
  switch (classify(r)) {
    case HttpVerdict::kDelivered: return;
    case HttpVerdict::kRejected: {
      std::string why = fmt::format("HTTP {}: {}", r.status, r.body.substr(0, 512));
      for (size_t i = 0; i < n; ++i) report.rejected.emplace_back(i, why);
      return;
    }
    case HttpVerdict::kRetry: {
      report.retry_from(0, n,
                        r.status == 0 ? make_error(ErrorCode::kIo, "{}", r.error)
                                      : make_error(ErrorCode::kIo, "HTTP {}: {}", r.status, r.body.substr(0, 512)));
      report.retry_after = r.retry_after;
      return;
    }
  }
}

Result<HttpOptions> read_http_options(YamlMap& config, std::string_view default_path) {
  HttpOptions o;
  YAML::Node url_node = config.get("url");
  auto url = config.get_string("url", "");
  if (!url) return url.error();
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return make_error(ErrorCode::kInvalidArgument, "{}: 'url' is required and must start with http:// or https://",
                      config.where(url_node.IsDefined() ? url_node : config.node()));
  }
  o.url = *url;
  if (!default_path.empty() && o.url.find('/', o.url.find("//") + 2) == std::string::npos) o.url += default_path;
  auto timeout = config.get_uint("timeout_ms", 10'000, 100, 600'000);
  if (!timeout) return timeout.error();
  o.timeout = std::chrono::milliseconds(*timeout);
  auto tls = config.get_map("tls");
  if (!tls) return tls.error();
  for (auto [key, field] : {std::pair{"ca_file", &o.ca_file}, std::pair{"cert_file", &o.cert_file},
                            std::pair{"key_file", &o.key_file}}) {
    auto v = tls->get_string(key, "");
    if (!v) return v.error();
    *field = *v;
  }
  if (Status s = tls->finish(); !s) return s.error();
  if (o.cert_file.empty() != o.key_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: tls: cert_file and key_file go together",
                      config.where(tls->node()));
  }
  auto headers = config.get_map("headers");
  if (!headers) return headers.error();
  YAML::Node header_nodes = headers->node();
  for (const auto& kv : header_nodes.IsMap() ? header_nodes : YAML::Node(YAML::NodeType::Map)) {
    std::string name = kv.first.Scalar();
    auto v = headers->get_string(name, "");
    if (!v) return v.error();
    o.headers.push_back(name + ": " + *v);
  }
  if (Status s = headers->finish(); !s) return s.error();
  return o;
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<HttpClient> c(new HttpClient(std::move(options)));
  c->curl_ = curl_easy_init();
  if (!c->curl_) return make_error(ErrorCode::kInternal, "libcurl: cannot create a handle");
  return c;
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResponse HttpClient::post_to(const std::string& url, const std::string& body,
                                 const std::vector<std::string>& extra_headers) {
  CURL* c = static_cast<CURL*>(curl_);
  HttpResponse r;
  curl_slist* headers = nullptr;
  for (const std::string& h : options_.headers) headers = curl_slist_append(headers, h.c_str());
  for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  char err[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, options_.cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, options_.key_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    r.status = 0;
    r.error = fmt::format("{}: {}", url, err[0] ? err : curl_easy_strerror(rc));
    return r;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace ztai
