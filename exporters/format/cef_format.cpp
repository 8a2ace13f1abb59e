#include "exporters/format/cef_format.h"

#include <array>

#include "agent/version.h"
#include "exporters/format/format.h"

namespace ztai {
namespace {

// Fields with a CEF dictionary key; the rest go to custom strings by name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kExtensionKeys = {{
    {"proc.pid", "spid"},
    {"proc.name", "sproc"},
    {"proc.cmdline", "cs3"},
    {"proc.exepath", "filePath"},
    {"user.uid", "suid"},
    {"user.name", "suser"},
    {"fd.name", "fname"},
    {"fd.sip", "src"},
    {"fd.sport", "spt"},
    {"fd.dip", "dst"},
    {"fd.dport", "dpt"},
    {"http.url", "request"},
}};

void add(std::string& out, std::string_view key, std::string_view value) {
  out += ' ';
  out += key;
  out += '=';
  cef_escape_extension(out, value);
}

}  // namespace

int cef_severity(Priority p) {
  constexpr std::array<int, 8> kSeverity = {10, 9, 8, 7, 6, 4, 3, 1};
  return kSeverity[static_cast<size_t>(p)];
}

void cef_escape_header(std::string& out, std::string_view s) {
  std::string clean;
  append_utf8(clean, s);
  for (char c : clean) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';  // the header has no escape for line breaks; one record stays one line
    } else {
      out += c;
    }
  }
}

void cef_escape_extension(std::string& out, std::string_view s) {
  std::string clean;
  append_utf8(clean, s);
  for (char c : clean) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '=': out += "\\="; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

void format_cef(const Record& r, std::string& out) {
  std::string_view name = r.kind == RecordKind::kAlert ? std::string_view(r.rule) : std::string_view("event");
  out += "CEF:0|ztai|ztai|";
  cef_escape_header(out, kVersion);
  out += '|';
  cef_escape_header(out, name);  // Device Event Class ID: the rule identifies the signature
  out += '|';
  cef_escape_header(out, name);
  out += '|';
  out += std::to_string(cef_severity(r.priority));
  out += '|';
  out += "rt=" + std::to_string(r.time_unix_ns / 1'000'000);
  add(out, "dvchost", r.hostname);
  add(out, "msg", r.output);
  add(out, "cat", r.source);
  add(out, "cs1Label", "priority");
  add(out, "cs1", priority_name(r.priority));
  std::string tags;
  for (const std::string& t : r.tags) tags += (tags.empty() ? "" : ",") + t;
  add(out, "cs2Label", "tags");
  add(out, "cs2", tags);
  for (const auto& [field, key] : kExtensionKeys) {
    const FieldValue* v = find_field(r, field);
    if (!v || std::holds_alternative<std::monostate>(*v)) continue;
    if (key == "cs3") add(out, "cs3Label", "cmdline");
    add(out, key, field_text(r, field));
  }
}

}  // namespace ztai
