// Syslog to a remote receiver: RFC 5424 messages over UDP (RFC 5426, one datagram each), TCP
// with octet counting (RFC 6587) or TLS (RFC 5425: CA check, host name check, optional client
// certificate). Neither TCP nor TLS syslog acknowledges: what the kernel accepted before the
// receiver died is lost (the loss window is the socket buffers). Use RELP to lose nothing.
#pragma once

#include <memory>

#include "exporters/exporter.h"

namespace ztai {

Result<std::unique_ptr<Exporter>> make_syslog_exporter(YamlMap& config, const ExporterContext& ctx);

}  // namespace ztai
