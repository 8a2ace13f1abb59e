#include "exporters/webhook/webhook_exporter.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "exporters/format/format.h"
#include "exporters/http/http_client.h"

namespace ztai {
namespace {

class WebhookExporter : public BatchExporter {
 public:
  WebhookExporter(std::string name, std::unique_ptr<HttpClient> http, std::string secret, FormatFn format, size_t batch)
      : name_(std::move(name)), http_(std::move(http)), secret_(std::move(secret)), format_(format), batch_(batch) {}

  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return batch_; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    std::string body = "[";
    for (const Record& r : batch) {
      if (body.size() > 1) body += ',';
      format_(r, body);
    }
    body += ']';
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!secret_.empty()) {
      std::string ts = std::to_string(time(nullptr));
      headers.push_back("X-Ztai-Timestamp: " + ts);
      headers.push_back("X-Ztai-Signature: sha256=" + webhook_signature(secret_, ts, body));
    }
    DeliveryReport report;
    apply_verdict(http_->post(body, headers), batch.size(), report);
    return report;
  }

 private:
  std::string name_;
  std::unique_ptr<HttpClient> http_;
  std::string secret_;
  FormatFn format_;
  size_t batch_;
};

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

Result<std::unique_ptr<Exporter>> make_webhook_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto http = read_http_options(config);
  if (!http) return http.error();
  auto secret = config.get_string("secret", "");
  if (!secret) return secret.error();
  YAML::Node file_node = config.get("secret_file");
  auto secret_file = config.get_string("secret_file", "");
  if (!secret_file) return secret_file.error();
  if (!secret_file->empty()) {
    if (!secret->empty()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: give secret or secret_file, not both",
                        config.where(file_node));
    }
    std::ifstream in(*secret_file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return make_error(ErrorCode::kIo, "{}: cannot read secret_file {}", config.where(file_node), *secret_file);
    }
    *secret = text.str();
    while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
  }
  auto batch = config.get_uint("batch_size", 50, 1, 10'000);
  if (!batch) return batch.error();
  auto format = read_json_format(config, "json");
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  auto client = HttpClient::create(std::move(*http));
  if (!client) return client.error();
  return std::unique_ptr<Exporter>(
      std::make_unique<WebhookExporter>(ctx.output_name, std::move(*client), *secret, *format, *batch));
}

}  // namespace ztai
