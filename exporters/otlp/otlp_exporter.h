// OpenTelemetry logs over OTLP/HTTP with the JSON encoding: one ExportLogsServiceRequest per
// batch POSTed to /v1/logs; the record in the chosen format is the log body, rule, priority,
// source, tags and fields are attributes.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_otlp_exporter(YamlMap& config, const ExporterContext& ctx);
// OTLP SeverityNumber for a priority (FATAL 21 .. DEBUG 5).
int otlp_severity_number(Priority p);
std::string otlp_body(std::span<const Record> batch, std::string_view service_name,
                      void (*format)(const Record&, std::string&));

}  // namespace ztai
