// Syslog over RELP (librelp): every message is acknowledged by the receiver. librelp keeps
// unacknowledged messages and sends them again when the session is re-established, so a
// receiver restart loses nothing; a message counts as delivered once librelp accepted it into
// its window. At an agent crash the messages of the open window (window_size) may be lost or
// sent twice: delivery is at least once across receiver restarts.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_relp_exporter(YamlMap& config, const ExporterContext& ctx);

}  // namespace ztai
