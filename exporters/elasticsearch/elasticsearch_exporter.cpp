#include "exporters/elasticsearch/elasticsearch_exporter.h"

#include <nlohmann/json.hpp>

#include "agent/common/base64.h"
#include "agent/common/json_writer.h"
#include "exporters/format/format.h"
#include "exporters/http/http_client.h"

namespace ztai {
namespace {

class ElasticsearchExporter : public BatchExporter {
 public:
  ElasticsearchExporter(std::string name, std::unique_ptr<HttpClient> http, std::string index, FormatFn format,
                        size_t batch, std::vector<std::string> headers)
      : name_(std::move(name)),
        http_(std::move(http)),
        index_(std::move(index)),
        format_(format),
        batch_(batch),
        headers_(std::move(headers)) {}

  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return batch_; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    DeliveryReport report;
    HttpResponse res = http_->post(bulk_body(batch, index_, format_), headers_);
    if (classify(res) != HttpVerdict::kDelivered) {
      apply_verdict(res, batch.size(), report);
      return report;
    }
    apply_bulk_response(res.body, batch.size(), report);
    return report;
  }

 private:
  std::string name_;
  std::unique_ptr<HttpClient> http_;
  std::string index_;
  FormatFn format_;
  size_t batch_;
  std::vector<std::string> headers_;
};

}  // namespace

std::string bulk_body(std::span<const Record> batch, std::string_view index,
                      void (*format)(const Record&, std::string&)) {
  std::string body;
  for (const Record& r : batch) {
    body += "{\"create\":{\"_index\":\"";
    json_escape(body, index);
    body += "\"}}\n";
    format(r, body);
    body += '\n';
  }
  return body;
}

void apply_bulk_response(std::string_view body, size_t n, DeliveryReport& report) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array() ||
      j["items"].size() != n) {
    // The answer cannot be matched to the documents: send them all again (at least once).
    report.retry_from(0, n, make_error(ErrorCode::kIo, "_bulk: unreadable response: {}", body.substr(0, 256)));
    return;
  }
  if (!j.value("errors", false)) return;
  for (size_t i = 0; i < n; ++i) {
    const auto& item = j["items"][i];
    const auto& result = item.is_object() && !item.empty() ? item.begin().value() : item;
    int status = result.is_object() ? result.value("status", 0) : 0;
    if (status >= 200 && status < 300) continue;
    std::string why = result.is_object() && result.contains("error") ? result["error"].dump() : "no error given";
    if (status == 429 || status >= 500 || status == 0) {
      report.retry.push_back(i);
      report.error = make_error(ErrorCode::kIo, "_bulk item {}: status {}: {}", i, status, why.substr(0, 256));
    } else {
      report.rejected.emplace_back(i, fmt::format("_bulk status {}: {}", status, why.substr(0, 512)));
    }
  }
}

Result<std::unique_ptr<Exporter>> make_elasticsearch_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto http = read_http_options(config, "/_bulk");
  if (!http) return http.error();
  auto index = config.get_string("index", "ztai-alerts");
  auto user = config.get_string("username", "");
  auto password = config.get_string("password", "");
  auto api_key = config.get_string("api_key", "");
  auto batch = config.get_uint("batch_size", 500, 1, 10'000);
  for (const Error* e : {index ? nullptr : &index.error(), user ? nullptr : &user.error(),
                         password ? nullptr : &password.error(), api_key ? nullptr : &api_key.error(),
                         batch ? nullptr : &batch.error()}) {
    if (e) return *e;
  }
  auto format = read_json_format(config, "ecs");
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  std::vector<std::string> headers = {"Content-Type: application/x-ndjson"};
  if (!api_key->empty()) headers.push_back("Authorization: ApiKey " + *api_key);
  if (!user->empty()) headers.push_back("Authorization: Basic " + base64_encode(*user + ":" + *password));
  auto client = HttpClient::create(std::move(*http));
  if (!client) return client.error();
  return std::unique_ptr<Exporter>(std::make_unique<ElasticsearchExporter>(ctx.output_name, std::move(*client), *index,
                                                                           *format, *batch, std::move(headers)));
}

}  // namespace ztai
