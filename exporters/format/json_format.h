// Native JSON: one line per record. Alerts have Falco's alert shape (time, rule, priority,
// source, hostname, output, tags, output_fields) so falcosidekick and SIEM parsers written for
// Falco read them; events carry "kind":"event" and the same output_fields names.
#pragma once

#include <string>

#include "agent/common/json_writer.h"
#include "exporters/record.h"

namespace ztai {

// A field value as JSON (null when unknown); the other JSON formats share it.
void write_field_value(JsonWriter& w, const FieldValue& v);

// Appends the JSON object (no newline) to out.
void format_json(const Record& record, std::string& out);

}  // namespace ztai
