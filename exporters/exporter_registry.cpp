#include <stdexcept>

#include "exporters/elasticsearch/elasticsearch_exporter.h"
#include "exporters/exporter.h"
#include "exporters/file/file_exporter.h"
#include "exporters/kafka/kafka_exporter.h"
#include "exporters/otlp/otlp_exporter.h"
#include "exporters/relp/relp_exporter.h"
#include "exporters/splunk/splunk_hec_exporter.h"
#include "exporters/stdout/stdout_exporter.h"
#include "exporters/syslog/syslog_exporter.h"
#include "exporters/webhook/webhook_exporter.h"

namespace ztai {

void DeliveryReport::retry_from(size_t from, size_t n, Error why) {
  for (size_t i = from; i < n; ++i) retry.push_back(i);
  error = std::move(why);
}

Status BatchExporter::send(const Record& record) {
  DeliveryReport r = deliver({&record, 1});
  if (r.ok()) return {};
  return r.error ? *r.error : make_error(ErrorCode::kIo, "refused: {}", r.rejected.front().second);
}

DeliveryReport Exporter::deliver(std::span<const Record> batch) {
  DeliveryReport report;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (Status s = send(batch[i]); !s) {
      report.retry_from(i, batch.size(), s.error());
      break;
    }
  }
  if (Status s = flush(); !s && report.ok()) report.retry_from(0, batch.size(), s.error());
  return report;
}

Status ExporterRegistry::add(std::string name, ExporterFactory factory) {
  if (factories_.count(name)) return make_error(ErrorCode::kInternal, "exporter {} is registered twice", name);
  factories_.emplace(std::move(name), std::move(factory));
  return {};
}

Result<std::unique_ptr<Exporter>> ExporterRegistry::create(std::string_view type, YamlMap& config,
                                                           const ExporterContext& ctx) const {
  auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [name, f] : factories_) known += (known.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::kInvalidArgument, "{}: unknown output type '{}' (known: {})",
                      config.where(config.node()), type, known);
  }
  return it->second(config, ctx);
}

Result<std::unique_ptr<Exporter>> ExporterRegistry::create(std::string_view type, const YAML::Node& config,
                                                           const ExporterContext& ctx) const {
  auto map = YamlMap::of(config, ctx.config_file, fmt::format("outputs[{}]", type));
  if (!map) return map.error();
  map->get("type");
  return create(type, *map, ctx);
}

std::vector<std::string> ExporterRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

const ExporterRegistry& builtin_exporters() {
  static const ExporterRegistry registry = [] {
    ExporterRegistry r;
    for (auto [name, factory] : {std::pair<const char*, ExporterFactory>{"stdout", make_stdout_exporter},
                                 {"file", make_file_exporter},
                                 {"syslog", make_syslog_exporter},
                                 {"relp", make_relp_exporter},
                                 {"splunk_hec", make_splunk_hec_exporter},
                                 {"elasticsearch", make_elasticsearch_exporter},
                                 {"otlp", make_otlp_exporter},
                                 {"webhook", make_webhook_exporter},
                                 {"kafka", make_kafka_exporter}}) {
      if (Status s = r.add(name, factory); !s) throw std::logic_error(s.error().message());
    }
    return r;
  }();
  return registry;
}

}  // namespace ztai
