#include "exporters/splunk/splunk_hec_exporter.h"

#include <nlohmann/json.hpp>

#include <random>
#include <thread>

#include "agent/common/json_writer.h"
#include "exporters/format/format.h"
#include "exporters/http/http_client.h"

namespace ztai {
namespace {

// A random UUID names this agent's HEC channel, as indexer acknowledgement requires.
std::string random_uuid() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (unsigned char& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  std::string s;
  for (int i = 0; i < 16; ++i) s += fmt::format("{}{:02x}", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", b[i]);
  return s;
}

struct HecAck {
  bool enabled = false;
  std::chrono::milliseconds timeout{60'000};
  std::chrono::milliseconds poll{500};
};

class SplunkHecExporter : public BatchExporter {
 public:
  SplunkHecExporter(std::string name, std::unique_ptr<HttpClient> http, std::string token, std::string index,
                    std::string source, std::string sourcetype, FormatFn format, size_t batch, HecAck ack)
      : name_(std::move(name)),
        http_(std::move(http)),
        auth_("Authorization: Splunk " + token),
        index_(std::move(index)),
        source_(std::move(source)),
        sourcetype_(std::move(sourcetype)),
        format_(format),
        batch_(batch),
        ack_(ack),
        channel_("X-Splunk-Request-Channel: " + random_uuid()) {
    const std::string& url = http_->options().url;
    size_t at = url.find("/services/collector");
    ack_url_ = (at == std::string::npos ? url.substr(0, url.find('/', url.find("//") + 2)) : url.substr(0, at)) +
               "/services/collector/ack";
  }

  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return batch_; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    DeliveryReport report;
    std::vector<std::string> headers = {auth_, "Content-Type: application/json"};
    if (ack_.enabled) headers.push_back(channel_);
    HttpResponse res = http_->post(hec_body(batch, index_, source_, sourcetype_, format_), headers);
    apply_verdict(res, batch.size(), report);
    if (!report.ok() || !ack_.enabled) return report;
    if (Status s = wait_for_ack(res.body, headers); !s) report.retry_from(0, batch.size(), s.error());
    return report;
  }

 private:
  // With indexer acknowledgement a 200 only means "received": the batch counts once HEC says
  // it is indexed. When that does not come in time the batch is sent again (at least once).
  Status wait_for_ack(const std::string& body, const std::vector<std::string>& headers) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.contains("ackId") || !j["ackId"].is_number_integer()) {
      return make_error(ErrorCode::kIo, "HEC gave no ackId: is indexer acknowledgement on for this token?");
    }
    const auto id = j["ackId"].get<int64_t>();
    const std::string query = fmt::format("{{\"acks\":[{}]}}", id);
    auto until = std::chrono::steady_clock::now() + ack_.timeout;
    while (std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(ack_.poll);
      HttpResponse res = http_->post_to(ack_url_, query, headers);
      if (classify(res) != HttpVerdict::kDelivered) continue;
      auto a = nlohmann::json::parse(res.body, nullptr, false);
      std::string key = std::to_string(id);
      if (!a.is_discarded() && a.contains("acks") && a["acks"].contains(key) && a["acks"][key] == true) return {};
    }
    return make_error(ErrorCode::kIo, "HEC did not acknowledge ackId {} within {} ms", id, ack_.timeout.count());
  }

  std::string name_;
  std::unique_ptr<HttpClient> http_;
  std::string auth_, index_, source_, sourcetype_;
  FormatFn format_;
  size_t batch_;
  HecAck ack_;
  std::string channel_;
  std::string ack_url_;
};

}  // namespace

std::string hec_body(std::span<const Record> batch, std::string_view index, std::string_view source,
                     std::string_view sourcetype, void (*format)(const Record&, std::string&)) {
  std::string body, event;
  for (const Record& r : batch) {
    event.clear();
    format(r, event);
    JsonWriter w(body);
    w.begin_object();
    // HEC takes epoch seconds with a fraction.
    w.key("time").raw(fmt::format("{}.{:06}", r.time_unix_ns / 1'000'000'000, (r.time_unix_ns / 1000) % 1'000'000));
    w.field("host", r.hostname);
    w.field("source", source);
    w.field("sourcetype", sourcetype);
    if (!index.empty()) w.field("index", index);
    w.key("event").raw(event);
    w.end_object();
  }
  return body;
}

Result<std::unique_ptr<Exporter>> make_splunk_hec_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto http = read_http_options(config, "/services/collector/event");
  if (!http) return http.error();
  auto token = config.get_string("token", "");
  if (!token) return token.error();
  if (token->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[splunk_hec]: 'token' is required",
                      config.where(config.node()));
  }
  auto index = config.get_string("index", "");
  auto source = config.get_string("source", "ztai");
  auto sourcetype = config.get_string("sourcetype", "ztai:alert");
  auto batch = config.get_uint("batch_size", 100, 1, 10'000);
  for (const Error* e : {index ? nullptr : &index.error(), source ? nullptr : &source.error(),
                         sourcetype ? nullptr : &sourcetype.error(), batch ? nullptr : &batch.error()}) {
    if (e) return *e;
  }
  auto format = read_json_format(config, "json");
  if (!format) return format.error();
  auto ack_map = config.get_map("indexer_ack");
  if (!ack_map) return ack_map.error();
  HecAck ack;
  auto enabled = ack_map->get_bool("enabled", false);
  auto ack_timeout = ack_map->get_uint("timeout_ms", 60'000, 100, 3'600'000);
  auto ack_poll = ack_map->get_uint("poll_ms", 500, 10, 60'000);
  for (const Error* e : {enabled ? nullptr : &enabled.error(), ack_timeout ? nullptr : &ack_timeout.error(),
                         ack_poll ? nullptr : &ack_poll.error()}) {
    if (e) return *e;
  }
  ack.enabled = *enabled;
  ack.timeout = std::chrono::milliseconds(*ack_timeout);
  ack.poll = std::chrono::milliseconds(*ack_poll);
  if (Status s = ack_map->finish(); !s) return s.error();
  if (Status s = config.finish(); !s) return s.error();
  auto client = HttpClient::create(std::move(*http));
  if (!client) return client.error();
  return std::unique_ptr<Exporter>(std::make_unique<SplunkHecExporter>(ctx.output_name, std::move(*client), *token,
                                                                       *index, *source, *sourcetype, *format, *batch, ack));
}

}  // namespace ztai
