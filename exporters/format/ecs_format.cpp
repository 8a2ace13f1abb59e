#include "exporters/format/ecs_format.h"

#include "agent/common/clock.h"
#include "agent/common/json_writer.h"
#include "agent/version.h"
#include "exporters/format/format.h"
#include "exporters/format/json_format.h"

namespace ztai {
namespace {

bool present(const Record& r, std::string_view field) {
  const FieldValue* v = find_field(r, field);
  return v && !std::holds_alternative<std::monostate>(*v);
}

void put(JsonWriter& w, const Record& r, std::string_view key, std::string_view field) {
  if (!present(r, field)) return;
  w.key(key);
  write_field_value(w, *find_field(r, field));
}

}  // namespace

void format_ecs(const Record& r, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("@timestamp", format_rfc3339_ns(r.time_unix_ns));
  w.field("message", r.output);
  w.key("ecs").begin_object().field("version", "8.11.0").end_object();
  w.key("event").begin_object();
  w.field("kind", r.kind == RecordKind::kAlert ? "alert" : "event");
  w.key("category").begin_array();
  if (present(r, "fd.dip") || present(r, "fd.sip")) w.value("network");
  if (present(r, "fd.name")) w.value("file");
  if (present(r, "proc.pid")) w.value("process");
  if (r.kind == RecordKind::kAlert) w.value("intrusion_detection");
  w.end_array();
  w.key("type").begin_array().value("info").end_array();
  // Falco's priorities are ordered like syslog severities: 0 most severe.
  w.field("severity", static_cast<int>(r.priority));
  w.field("module", "ztai");
  w.field("dataset", r.kind == RecordKind::kAlert ? "ztai.alert" : "ztai.event");
  put(w, r, "action", "evt.type");
  w.end_object();
  if (r.kind == RecordKind::kAlert) {
    w.key("rule").begin_object().field("name", r.rule).end_object();
  }
  w.key("log").begin_object().field("level", priority_name(r.priority)).end_object();
  w.key("host").begin_object().field("hostname", r.hostname).field("name", r.hostname).end_object();
  w.key("observer").begin_object();
  w.field("product", "ztai").field("vendor", "ztai").field("type", "runtime-security").field("version", kVersion);
  w.end_object();
  if (present(r, "proc.pid") || present(r, "proc.name")) {
    w.key("process").begin_object();
    put(w, r, "pid", "proc.pid");
    put(w, r, "name", "proc.name");
    put(w, r, "executable", "proc.exepath");
    put(w, r, "command_line", "proc.cmdline");
    put(w, r, "args", "proc.argv");
    put(w, r, "entity_id", "proc.exec_id");
    w.key("parent").begin_object();
    put(w, r, "pid", "proc.ppid");
    put(w, r, "name", "proc.pname");
    put(w, r, "executable", "proc.pexepath");
    put(w, r, "command_line", "proc.pcmdline");
    put(w, r, "entity_id", "proc.pexec_id");
    w.end_object();
    w.end_object();
  }
  if (present(r, "user.uid") || present(r, "user.name")) {
    w.key("user").begin_object();
    if (present(r, "user.uid")) w.field("id", field_text(r, "user.uid"));
    put(w, r, "name", "user.name");
    w.end_object();
  }
  if (present(r, "fd.name")) w.key("file").begin_object().field("path", field_text(r, "fd.name")).end_object();
  if (present(r, "fd.dip")) {
    w.key("destination").begin_object();
    put(w, r, "ip", "fd.dip");
    put(w, r, "port", "fd.dport");
    w.end_object();
  }
  if (present(r, "fd.sip")) {
    w.key("source").begin_object();
    put(w, r, "ip", "fd.sip");
    put(w, r, "port", "fd.sport");
    w.end_object();
  }
  w.key("tags").begin_array();
  for (const std::string& t : r.tags) w.value(t);
  w.end_array();
  w.key("ztai").begin_object();
  w.field("priority", priority_name(r.priority));
  w.field("source", r.source);
  w.key("fields").begin_object();
  for (const auto& [name, value] : r.fields) {
    w.key(name);
    write_field_value(w, value);
  }
  w.end_object();
  w.end_object();
  w.end_object();
}

}  // namespace ztai
