#include "exporters/format/json_format.h"

#include "agent/common/clock.h"
#include "agent/common/json_writer.h"

namespace ztai {

void write_field_value(JsonWriter& w, const FieldValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          w.null();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          w.begin_array();
          for (const std::string& s : x) w.value(s);
          w.end_array();
        } else {
          w.value(x);
        }
      },
      v);
}

void format_json(const Record& r, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("time", format_rfc3339_ns(r.time_unix_ns));
  if (r.kind == RecordKind::kAlert) {
    w.field("rule", r.rule);
    w.field("priority", priority_name(r.priority));
  } else {
    w.field("kind", "event");
  }
  w.field("source", r.source);
  w.field("hostname", r.hostname);
  w.field("output", r.output);
  w.key("tags").begin_array();
  for (const std::string& t : r.tags) w.value(t);
  w.end_array();
  w.key("output_fields").begin_object();
  for (const auto& [name, value] : r.fields) {
    w.key(name);
    write_field_value(w, value);
  }
  w.end_object();
  w.end_object();
}

}  // namespace ztai
