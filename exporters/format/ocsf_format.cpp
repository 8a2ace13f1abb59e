#include "exporters/format/ocsf_format.h"

#include <array>

#include "agent/common/json_writer.h"
#include "agent/version.h"
#include "exporters/format/format.h"
#include "exporters/format/json_format.h"

namespace ztai {
namespace {

constexpr std::string_view kOcsfVersion = "1.1.0";

// Writes `key: value` for a field that is present, converting numbers kept as text.
bool put_text(JsonWriter& w, const Record& r, std::string_view key, std::string_view field) {
  const FieldValue* v = find_field(r, field);
  if (!v || std::holds_alternative<std::monostate>(*v)) return false;
  w.key(key);
  write_field_value(w, *v);
  return true;
}

bool has(const Record& r, std::string_view field) {
  const FieldValue* v = find_field(r, field);
  return v && !std::holds_alternative<std::monostate>(*v);
}

bool has_any(const Record& r, std::initializer_list<std::string_view> fields) {
  for (auto f : fields) {
    if (has(r, f)) return true;
  }
  return false;
}

void write_process(JsonWriter& w, const Record& r) {
  w.key("process").begin_object();
  put_text(w, r, "pid", "proc.pid");
  put_text(w, r, "tid", "proc.tid");
  put_text(w, r, "name", "proc.name");
  put_text(w, r, "cmd_line", "proc.cmdline");
  put_text(w, r, "uid", "proc.exec_id");
  if (has(r, "proc.exepath")) {
    w.key("file").begin_object();
    put_text(w, r, "path", "proc.exepath");
    w.field("type_id", 1);  // Regular File
    w.end_object();
  }
  if (has_any(r, {"user.name", "user.uid"})) {
    w.key("user").begin_object();
    put_text(w, r, "name", "user.name");
    if (has(r, "user.uid")) w.field("uid", field_text(r, "user.uid"));
    w.end_object();
  }
  if (has_any(r, {"proc.ppid", "proc.pname", "proc.pcmdline"})) {
    w.key("parent_process").begin_object();
    put_text(w, r, "pid", "proc.ppid");
    put_text(w, r, "name", "proc.pname");
    put_text(w, r, "cmd_line", "proc.pcmdline");
    put_text(w, r, "uid", "proc.pexec_id");
    w.end_object();
  }
  w.end_object();
}

void write_endpoint(JsonWriter& w, const Record& r, std::string_view key, std::string_view ip, std::string_view port) {
  if (!has_any(r, {ip, port})) return;
  w.key(key).begin_object();
  put_text(w, r, "ip", ip);
  put_text(w, r, "port", port);
  w.end_object();
}

void write_evidence(JsonWriter& w, const Record& r) {
  w.key("evidences").begin_array();
  w.begin_object();
  if (has_any(r, {"proc.pid", "proc.name"})) write_process(w, r);
  if (has(r, "fd.name")) {
    w.key("file").begin_object();
    put_text(w, r, "path", "fd.name");
    w.end_object();
  }
  write_endpoint(w, r, "src_endpoint", "fd.sip", "fd.sport");
  write_endpoint(w, r, "dst_endpoint", "fd.dip", "fd.dport");
  if (has_any(r, {"http.method", "http.url"})) {
    w.key("http_request").begin_object();
    put_text(w, r, "http_method", "http.method");
    if (has(r, "http.url")) {
      w.key("url").begin_object();
      put_text(w, r, "url_string", "http.url");
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
  w.end_array();
}

}  // namespace

int ocsf_severity_id(Priority p) {
  constexpr std::array<int, 8> kIds = {6, 5, 5, 4, 3, 2, 1, 1};
  return kIds[static_cast<size_t>(p)];
}

void format_ocsf(const Record& r, std::string& out) {
  JsonWriter w(out);
  const int severity = ocsf_severity_id(r.priority);
  w.begin_object();
  w.field("class_uid", kOcsfClassDetectionFinding);
  w.field("class_name", "Detection Finding");
  w.field("category_uid", kOcsfCategoryFindings);
  w.field("category_name", "Findings");
  w.field("activity_id", kOcsfActivityCreate);
  w.field("activity_name", "Create");
  w.field("type_uid", kOcsfClassDetectionFinding * 100 + kOcsfActivityCreate);
  w.field("type_name", "Detection Finding: Create");
  w.field("severity_id", severity);
  w.field("severity", priority_name(r.priority));
  w.field("status_id", 1);  // New
  w.field("time", r.time_unix_ns / 1'000'000);
  w.field("message", r.output);
  w.key("metadata").begin_object();
  w.field("version", kOcsfVersion);
  w.key("product").begin_object();
  w.field("name", "ztai");
  w.field("vendor_name", "ztai");
  w.field("version", kVersion);
  w.end_object();
  w.key("labels").begin_array();
  for (const std::string& t : r.tags) w.value(t);
  w.end_array();
  w.end_object();
  w.key("finding_info").begin_object();
  w.field("uid", fmt::format("{}-{}-{}", r.hostname, r.time_unix_ns, field_text(r, "proc.exec_id")));
  w.field("title", r.kind == RecordKind::kAlert ? r.rule : "event");
  w.field("desc", r.output);
  w.key("analytic").begin_object();
  w.field("name", r.rule);
  w.field("type_id", 1);  // Rule
  w.field("type", "Rule");
  w.end_object();
  w.key("types").begin_array().value(r.source).end_array();
  w.end_object();
  w.key("device").begin_object();
  w.field("hostname", r.hostname);
  w.field("type_id", 1);  // Server
  w.end_object();
  write_evidence(w, r);
  w.key("unmapped").begin_object();
  for (const auto& [name, value] : r.fields) {
    w.key(name);
    write_field_value(w, value);
  }
  w.end_object();
  w.end_object();
}

}  // namespace ztai
