#include "exporters/splunk/splunk_hec_exporter.h"

#include "agent/common/json_writer.h"
#include "exporters/format/format.h"
#include "exporters/http/http_client.h"

namespace ztai {
namespace {

class SplunkHecExporter : public Exporter {
 public:
  SplunkHecExporter(std::string name, std::unique_ptr<HttpClient> http, std::string token, std::string index,
                    std::string source, std::string sourcetype, FormatFn format, size_t batch)
      : name_(std::move(name)),
        http_(std::move(http)),
        auth_("Authorization: Splunk " + token),
        index_(std::move(index)),
        source_(std::move(source)),
        sourcetype_(std::move(sourcetype)),
        format_(format),
        batch_(batch) {}

  std::string_view name() const override { return name_; }
  Status send(const Record& record) override {
    DeliveryReport r = deliver({&record, 1});
    if (r.ok()) return {};
    return r.error ? *r.error : make_error(ErrorCode::kIo, "refused: {}", r.rejected.front().second);
  }
  size_t max_batch() const override { return batch_; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    DeliveryReport report;
    apply_verdict(http_->post(hec_body(batch, index_, source_, sourcetype_, format_),
                              {auth_, "Content-Type: application/json"}),
                  batch.size(), report);
    return report;
  }

 private:
  std::string name_;
  std::unique_ptr<HttpClient> http_;
  std::string auth_, index_, source_, sourcetype_;
  FormatFn format_;
  size_t batch_;
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
  if (Status s = config.finish(); !s) return s.error();
  auto client = HttpClient::create(std::move(*http));
  if (!client) return client.error();
  return std::unique_ptr<Exporter>(std::make_unique<SplunkHecExporter>(ctx.output_name, std::move(*client), *token,
                                                                       *index, *source, *sourcetype, *format, *batch));
}

}  // namespace ztai
