// Kafka through librdkafka with the idempotent producer (acks=all, no duplicates from the
// producer's own retries). A batch is produced, then flushed; each record's delivery report
// decides: acknowledged, retried (broker down, timeout) or refused for good (too large).
// No Kafka broker runs on the test machine: the tests cover configuration and the failure
// path against a closed port, not a live cluster.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_kafka_exporter(YamlMap& config, const ExporterContext& ctx);

}  // namespace ztai
