// Alert formats by name. Transports take a `format` key and render each record with the
// function found here, so every transport speaks every format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"
#include "agent/config/yaml_map.h"
#include "exporters/record.h"

namespace ztai {

// Appends one rendered record (no trailing newline) to out.
using FormatFn = void (*)(const Record& record, std::string& out);

// json (Falco's shape), ocsf, ecs, cef, text (the rendered output line alone).
Result<FormatFn> find_format(std::string_view name);
// Reads the `format` key of an output, with its default.
Result<FormatFn> read_format(YamlMap& config, std::string_view def);

// For outputs that embed the record in JSON: json, ocsf or ecs.
Result<FormatFn> read_json_format(YamlMap& config, std::string_view def);

// The record's field of that name, or nullptr.
const FieldValue* find_field(const Record& record, std::string_view name);
// A field as text ("" when absent or unknown); lists are joined by spaces.
std::string field_text(const Record& record, std::string_view name);

// Appends s with each malformed UTF-8 byte replaced by U+FFFD, so text formats stay valid UTF-8.
void append_utf8(std::string& out, std::string_view s);

}  // namespace ztai
