// A generic webhook: each batch is POSTed as a JSON array of records. With a secret, the
// request carries `X-Ztai-Timestamp: <unix seconds>` and
// `X-Ztai-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, so the
// receiver can check origin and integrity and refuse replays of old requests.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_webhook_exporter(YamlMap& config, const ExporterContext& ctx);
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace ztai
