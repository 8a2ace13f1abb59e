#include "exporters/otlp/otlp_exporter.h"

#include <array>

#include "agent/common/json_writer.h"
#include "agent/version.h"
#include "exporters/format/format.h"
#include "exporters/http/http_client.h"

namespace ztai {
namespace {

void string_attribute(JsonWriter& w, std::string_view key, std::string_view value) {
  w.begin_object().field("key", key);
  w.key("value").begin_object().field("stringValue", value).end_object();
  w.end_object();
}

// AnyValue for a field: 64-bit integers are JSON strings in OTLP's JSON mapping.
void field_attribute(JsonWriter& w, const std::string& key, const FieldValue& v) {
  w.begin_object().field("key", key);
  w.key("value").begin_object();
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          w.field("stringValue", "");
        } else if constexpr (std::is_same_v<T, bool>) {
          w.field("boolValue", x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.field("stringValue", x);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          w.key("arrayValue").begin_object().key("values").begin_array();
          for (const std::string& s : x) w.begin_object().field("stringValue", s).end_object();
          w.end_array().end_object();
        } else {
          w.field("intValue", std::to_string(x));
        }
      },
      v);
  w.end_object();
  w.end_object();
}

class OtlpExporter : public BatchExporter {
 public:
  OtlpExporter(std::string name, std::unique_ptr<HttpClient> http, std::string service, FormatFn format, size_t batch)
      : name_(std::move(name)), http_(std::move(http)), service_(std::move(service)), format_(format), batch_(batch) {}

  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return batch_; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    DeliveryReport report;
    apply_verdict(http_->post(otlp_body(batch, service_, format_), {"Content-Type: application/json"}), batch.size(),
                  report);
    return report;
  }

 private:
  std::string name_;
  std::unique_ptr<HttpClient> http_;
  std::string service_;
  FormatFn format_;
  size_t batch_;
};

}  // namespace

int otlp_severity_number(Priority p) {
  constexpr std::array<int, 8> kNumbers = {21, 19, 18, 17, 13, 10, 9, 5};
  return kNumbers[static_cast<size_t>(p)];
}

std::string otlp_body(std::span<const Record> batch, std::string_view service,
                      void (*format)(const Record&, std::string&)) {
  std::string out, body;
  JsonWriter w(out);
  w.begin_object().key("resourceLogs").begin_array().begin_object();
  w.key("resource").begin_object().key("attributes").begin_array();
  string_attribute(w, "service.name", service);
  string_attribute(w, "service.version", kVersion);
  if (!batch.empty()) string_attribute(w, "host.name", batch.front().hostname);
  w.end_array().end_object();
  w.key("scopeLogs").begin_array().begin_object();
  w.key("scope").begin_object().field("name", "ztai").field("version", kVersion).end_object();
  w.key("logRecords").begin_array();
  for (const Record& r : batch) {
    body.clear();
    format(r, body);
    w.begin_object();
    w.field("timeUnixNano", std::to_string(r.time_unix_ns));
    w.field("severityNumber", otlp_severity_number(r.priority));
    w.field("severityText", priority_name(r.priority));
    w.key("body").begin_object().field("stringValue", body).end_object();
    w.key("attributes").begin_array();
    string_attribute(w, "ztai.kind", r.kind == RecordKind::kAlert ? "alert" : "event");
    if (r.kind == RecordKind::kAlert) string_attribute(w, "ztai.rule", r.rule);
    string_attribute(w, "ztai.source", r.source);
    field_attribute(w, "ztai.tags", r.tags);
    for (const auto& [name, value] : r.fields) field_attribute(w, name, value);
    w.end_array();
    w.end_object();
  }
  w.end_array().end_object().end_array().end_object().end_array().end_object();
  return out;
}

Result<std::unique_ptr<Exporter>> make_otlp_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto http = read_http_options(config, "/v1/logs");
  if (!http) return http.error();
  auto service = config.get_string("service_name", "ztai");
  if (!service) return service.error();
  auto batch = config.get_uint("batch_size", 200, 1, 10'000);
  if (!batch) return batch.error();
  auto format = read_format(config, "json");
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  auto client = HttpClient::create(std::move(*http));
  if (!client) return client.error();
  return std::unique_ptr<Exporter>(
      std::make_unique<OtlpExporter>(ctx.output_name, std::move(*client), *service, *format, *batch));
}

}  // namespace ztai
