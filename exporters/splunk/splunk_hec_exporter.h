// Splunk HTTP Event Collector: batches of event envelopes {time, host, source, sourcetype,
// index, event} POSTed to /services/collector/event with `Authorization: Splunk <token>`.
// Delivery counts once HEC answers 2xx, or with indexer_ack once /services/collector/ack says the
// batch is indexed.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_splunk_hec_exporter(YamlMap& config, const ExporterContext& ctx);
// The request body for a batch (envelopes concatenated, as HEC takes them).
std::string hec_body(std::span<const Record> batch, std::string_view index, std::string_view source,
                     std::string_view sourcetype, void (*format)(const Record&, std::string&));

}  // namespace ztai
