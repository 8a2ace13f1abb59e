// Elasticsearch / OpenSearch `_bulk`: one NDJSON request per batch of `create` actions. Each
// item's own status decides its fate: 2xx delivered, 429 and 5xx retried, other errors (a
// mapping conflict) refused for good and logged, so one bad document never blocks the rest.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_elasticsearch_exporter(YamlMap& config, const ExporterContext& ctx);
std::string bulk_body(std::span<const Record> batch, std::string_view index, void (*format)(const Record&, std::string&));
// Reads a _bulk response into the report: per-item retries and rejections.
void apply_bulk_response(std::string_view body, size_t n, DeliveryReport& report);

}  // namespace ztai
