// Native JSON: one line per record. Alerts have Falco's alert shape (time, rule, priority,
// source, hostname, output, tags, output_fields) so falcosidekick and SIEM parsers written for
// Falco read them; events carry "kind":"event" and the same output_fields names.
#pragma once

#include <string>

#include "exporters/record.h"

namespace ztai {

// Appends the JSON object (no newline) to out.
void format_json(const Record& record, std::string& out);

}  // namespace ztai
