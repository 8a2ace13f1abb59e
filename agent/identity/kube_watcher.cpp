#include "agent/identity/kube_watcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "agent/common/log.h"

namespace ztai {
namespace {

using nlohmann::json;

std::string url_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// State of one transfer, reached from libcurl's C callbacks.
struct Transfer {
  CURL* curl;
  const std::atomic<bool>* stop;
  const std::function<bool(std::string_view)>* on_body;
  long status = 0;
  std::string error_body;  // the answer when it is not 200
  bool aborted = false;
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->status == 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
  if (t->status != 200) {
    if (t->error_body.size() < 4096) t->error_body.append(data, std::min<size_t>(bytes, 4096));
    return bytes;
  }
  if (!(*t->on_body)(std::string_view(data, bytes))) {
    t->aborted = true;
    return 0;
  }
  return bytes;
}

// libcurl calls this at least once a second, also on an idle watch: the way to stop one.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stop->load(std::memory_order_relaxed) ? 1 : 0;
}

// The API server explains errors in a Status object; its message is the useful part.
std::string status_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
  return body.substr(0, 200);
}

}  // namespace

KubeWatcher::KubeWatcher(KubeWatchSettings settings, KubeCollection& collection, MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      collection_(collection),
      reachable_gauge_(metrics.gauge(settings_.metric_prefix + "_api_reachable",
                                     "1 while the API server answers the list/watch of " + settings_.what)),
      lists_(metrics.counter(settings_.metric_prefix + "_lists_total",
                             "Full lists of " + settings_.what + " (start, 410 Gone, errors)")),
      watch_events_(metrics.counter(settings_.metric_prefix + "_watch_events_total",
                                    "Watch events applied: " + settings_.what)),
      restarts_closed_(metrics.counter(settings_.metric_prefix + "_watch_restarts_total",
                                       "Watches of " + settings_.what + " started again", {{"reason", "closed"}})),
      restarts_expired_(metrics.counter(settings_.metric_prefix + "_watch_restarts_total",
                                        "Watches of " + settings_.what + " started again", {{"reason", "expired"}})),
      request_errors_(metrics.counter(settings_.metric_prefix + "_request_errors_total",
                                      "API requests that failed (connection, TLS, HTTP status): " + settings_.what)),
      bad_objects_(metrics.counter(settings_.metric_prefix + "_bad_objects_total",
                                   "Watch lines or objects that could not be read: " + settings_.what)) {
  curl_init_once();
  reachable_gauge_.set(0);
}

KubeWatcher::~KubeWatcher() { stop(); }

void KubeWatcher::start() {
  stop_.store(false);
  thread_ = std::thread([this] { run(); });
}

void KubeWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool KubeWatcher::wait(uint32_t ms) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
  return !stop_.load();
}

std::string KubeWatcher::collection_url() const {
  std::string url = settings_.api.server + settings_.path + "?";
  if (!settings_.field_selector.empty()) url += "fieldSelector=" + url_escape(settings_.field_selector) + "&";
  return url;
}

void KubeWatcher::set_reachable(bool reachable, std::string_view why) {
  if (reachable != reachable_) {
    if (reachable) {
      log::info("Kubernetes API server {} answers again: {} resume", settings_.api.server, settings_.what);
    } else {
      log::warn("Kubernetes API server {} is unreachable ({}): {} are not updated until it answers",
                settings_.api.server, why, settings_.what);
    }
  }
  reachable_ = reachable;
  reachable_gauge_.set(reachable ? 1 : 0);
  collection_.reachable(reachable);
}

void KubeWatcher::run() {
  uint32_t backoff = settings_.retry_initial_ms;
  while (!stop_.load()) {
    auto rv = list();
    if (!rv) {
      if (stop_.load()) break;
      set_reachable(false, rv.error().message());
      if (!wait(backoff)) break;
      backoff = std::min(backoff * 2, settings_.retry_max_ms);
      continue;
    }
    backoff = settings_.retry_initial_ms;
    std::string resource_version = *rv;
    // Watch from the list's version until the server says that version is gone.
    for (;;) {
      WatchEnd end = watch(resource_version);
      if (end == WatchEnd::kStopped || end == WatchEnd::kExpired) break;
      if (end == WatchEnd::kClosed) {
        restarts_closed_.inc();
        backoff = settings_.retry_initial_ms;
        continue;
      }
      restarts_closed_.inc();
      if (!wait(backoff)) break;
      backoff = std::min(backoff * 2, settings_.retry_max_ms);
    }
  }
}

KubeWatcher::Response KubeWatcher::get(const std::string& url, long timeout_s,
                                     const std::function<bool(std::string_view)>& on_body) {
  Response r;
  auto token = kube_bearer_token(settings_.api);
  if (!token) {
    r.error = token.error().message();
    return r;
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    r.error = "libcurl could not start a transfer";
    return r;
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Accept: application/json"));
  if (!token->empty()) {
    headers.reset(curl_slist_append(headers.release(), ("Authorization: Bearer " + *token).c_str()));
  }
  Transfer t{curl.get(), &stop_, &on_body, 0, {}, false};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  const KubeApiConfig& api = settings_.api;
  if (!api.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, api.ca_file.c_str());
  curl_blob ca{const_cast<char*>(api.ca_pem.data()), api.ca_pem.size(), CURL_BLOB_NOCOPY};
  if (!api.ca_pem.empty()) curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  curl_blob cert{const_cast<char*>(api.client_cert_pem.data()), api.client_cert_pem.size(), CURL_BLOB_NOCOPY};
  curl_blob key{const_cast<char*>(api.client_key_pem.data()), api.client_key_pem.size(), CURL_BLOB_NOCOPY};
  if (!api.client_cert_pem.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!api.client_key_pem.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (api.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = curl_easy_perform(c);
  if (t.status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);
  r.status = t.status;
  if (t.status != 200 && t.status != 0) {
    r.error = fmt::format("HTTP {}: {}", t.status, status_message(t.error_body));
  } else if (rc != CURLE_OK && !t.aborted) {
    r.error = curl_easy_strerror(rc);
  }
  return r;
}

Result<std::string> KubeWatcher::list() {
  std::vector<nlohmann::json> items;
  std::string cont;
  std::string resource_version;
  for (;;) {
    std::string url = fmt::format("{}limit={}", collection_url(), settings_.page_size);
    if (!cont.empty()) url += "&continue=" + url_escape(cont);
    std::string body;
    Response r = get(url, 60, [&](std::string_view chunk) {
      body.append(chunk);
      return true;
    });
    if (stop_.load()) return make_error(ErrorCode::kIo, "stopped");
    if (!r.error.empty()) {
      request_errors_.inc();
      if (r.status == 401 || r.status == 403) {
        r.error += fmt::format(" (the agent needs get, list and watch on {})", settings_.resource);
      }
      // 410 during paging: the continue token expired; start the list again.
      if (r.status == 410 && !cont.empty()) {
        cont.clear();
        items.clear();
        continue;
      }
      return make_error(ErrorCode::kIo, "listing {} at {}: {}", settings_.what, settings_.api.server, r.error);
    }
    json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) {
      bad_objects_.inc();
      return make_error(ErrorCode::kInvalidArgument, "listing {} at {}: the answer is not a list", settings_.what,
                        settings_.api.server);
    }
    for (json& item : j["items"]) items.push_back(std::move(item));
    const json& meta = j.contains("metadata") && j["metadata"].is_object() ? j["metadata"] : json::object();
    resource_version = meta.value("resourceVersion", "");
    cont = meta.value("continue", "");
    if (cont.empty()) break;
  }
  lists_.inc();
  log::debug("listed {} {} at version {}", items.size(), settings_.what, resource_version);
  bad_objects_.inc(collection_.replace_all(items));
  set_reachable(true, "");
  return resource_version;
}

KubeWatcher::WatchEnd KubeWatcher::watch(std::string& resource_version) {
  std::string url = fmt::format("{}watch=true&allowWatchBookmarks=true&resourceVersion={}&timeoutSeconds={}",
                                collection_url(), url_escape(resource_version), settings_.watch_timeout_seconds);
  std::string pending;
  WatchEnd end = WatchEnd::kClosed;
  bool connected = false;
  Response r = get(url, static_cast<long>(settings_.watch_timeout_seconds) + 30, [&](std::string_view chunk) {
    if (!connected) {
      connected = true;
      set_reachable(true, "");
    }
    pending.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!handle_watch_line(std::string_view(pending).substr(start, nl - start), resource_version, end)) {
        return false;
      }
    }
    pending.erase(0, start);
    return true;
  });
  if (stop_.load()) return WatchEnd::kStopped;
  if (end == WatchEnd::kExpired || r.status == 410) {
    restarts_expired_.inc();
    log::info("watch of {} at version {} expired (410 Gone): listing again", settings_.what, resource_version);
    return WatchEnd::kExpired;
  }
  if (!r.error.empty()) {
    request_errors_.inc();
    // A stream cut after it started is a dropped watch, not an unreachable server.
    if (connected) {
      log::debug("watch of {} from {} ended: {}", settings_.what, settings_.api.server, r.error);
    } else {
      set_reachable(false, r.error);
    }
    return WatchEnd::kFailed;
  }
  if (end == WatchEnd::kFailed) request_errors_.inc();
  return end;
}

bool KubeWatcher::handle_watch_line(std::string_view line, std::string& resource_version, WatchEnd& end) {
  if (line.empty() || line == "\r") return true;
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string() || !j.contains("object")) {
    bad_objects_.inc();
    return true;
  }
  std::string type = j["type"].get<std::string>();
  const json& obj = j["object"];
  if (type == "ERROR") {
    // A Status object; 410 means the version we watch from was compacted away.
    long code = obj.is_object() ? obj.value("code", 0L) : 0L;
    end = code == 410 ? WatchEnd::kExpired : WatchEnd::kFailed;
    if (code != 410) {
      log::warn("watch of {}: error from {}: {}", settings_.what, settings_.api.server, status_message(obj.dump()));
    }
    return false;
  }
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    std::string rv = obj["metadata"].value("resourceVersion", "");
    if (!rv.empty()) resource_version = rv;
  }
  if (type == "BOOKMARK") return true;
  if (!collection_.apply(type, obj)) {
    bad_objects_.inc();
    return true;
  }
  watch_events_.inc();
  return true;
}

}  // namespace ztai
