// RFC 5424 syslog messages: header, one structured-data element with the alert's rule,
// priority, source and tags, and the record in a chosen format as MSG. Header fields are
// reduced to what the RFC allows (printable US-ASCII, bounded lengths), SD-PARAM values escape
// `"`, `\` and `]`, and MSG is valid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "exporters/format/format.h"

namespace ztai {

struct SyslogFormatOptions {
  int facility = 13;  // log audit; 0..23
  std::string app_name = "ztai";
  std::string sd_id = "ztai@32473";  // 32473: the enterprise number RFC 5612 reserves for examples
  FormatFn body = nullptr;         // MSG; nullptr: the rendered output line
};

// Falco's priorities are ordered like syslog severities, Emergency = 0 .. Debug = 7.
inline int syslog_severity(Priority p) { return static_cast<int>(p); }

void format_rfc5424(const Record& record, const SyslogFormatOptions& options, std::string& out);
// Reads facility, app_name, sd_id and format (the MSG body, default json) of a syslog output.
Result<SyslogFormatOptions> read_syslog_format(YamlMap& config);

}  // namespace ztai
