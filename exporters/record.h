// What outputs receive: an alert (a rule matched) or an event (with --events). Every exporter
// maps this one structure to its format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/fields/field_value.h"

namespace ztai {

// Falco's priorities, most severe first.
enum class Priority { kEmergency, kAlert, kCritical, kError, kWarning, kNotice, kInformational, kDebug };

std::string_view priority_name(Priority p);  // "Emergency", ... as Falco prints them
std::optional<Priority> parse_priority(std::string_view name);  // case-insensitive; "info" too

enum class RecordKind { kAlert, kEvent };

struct Record {
  RecordKind kind = RecordKind::kAlert;
  uint64_t time_unix_ns = 0;
  std::string rule;  // alerts only
  Priority priority = Priority::kInformational;
  std::string source;  // event source: "syscall", later "llm", "mcp"...
  std::string hostname;
  std::string output;  // the rendered human-readable line
  std::vector<std::string> tags;
  FieldList fields;
};

}  // namespace ztai
