#include "exporters/format/syslog_format.h"

#include <unistd.h>

#include <ctime>

#include <fmt/format.h>

namespace ztai {
namespace {

// PRINTUSASCII (33..126), at most max characters; "-" (NILVALUE) when nothing is left.
void header_field(std::string& out, std::string_view s, size_t max) {
  size_t n = 0;
  for (char c : s) {
    if (n == max) break;
    if (c >= 33 && c <= 126) {
      out += c;
      ++n;
    }
  }
  if (n == 0) out += '-';
}

void sd_param(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  std::string clean;
  append_utf8(clean, value);
  for (char c : clean) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

void format_rfc5424(const Record& r, const SyslogFormatOptions& o, std::string& out) {
  out += fmt::format("<{}>1 ", o.facility * 8 + syslog_severity(r.priority));
  time_t secs = static_cast<time_t>(r.time_unix_ns / 1'000'000'000);
  tm utc{};
  gmtime_r(&secs, &utc);
  // TIME-SECFRAC allows at most six digits.
  out += fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, (r.time_unix_ns % 1'000'000'000) / 1000);
  header_field(out, r.hostname, 255);
  out += ' ';
  header_field(out, o.app_name, 48);
  out += ' ';
  header_field(out, std::to_string(getpid()), 128);
  out += ' ';
  header_field(out, r.kind == RecordKind::kAlert ? "alert" : "event", 32);
  out += " [";
  out += o.sd_id;
  if (r.kind == RecordKind::kAlert) sd_param(out, "rule", r.rule);
  sd_param(out, "priority", priority_name(r.priority));
  sd_param(out, "source", r.source);
  std::string tags;
  for (const std::string& t : r.tags) tags += (tags.empty() ? "" : ",") + t;
  sd_param(out, "tags", tags);
  out += "] ";
  if (o.body) {
    std::string body;
    o.body(r, body);
    append_utf8(out, body);
  } else {
    append_utf8(out, r.output);
  }
}

Result<SyslogFormatOptions> read_syslog_format(YamlMap& config) {
  SyslogFormatOptions o;
  auto facility = config.get_uint("facility", static_cast<uint64_t>(o.facility), 0, 23);
  if (!facility) return facility.error();
  o.facility = static_cast<int>(*facility);
  auto app = config.get_string("app_name", o.app_name);
  if (!app) return app.error();
  o.app_name = *app;
  YAML::Node sd_node = config.get("sd_id");
  auto sd = config.get_string("sd_id", o.sd_id);
  if (!sd) return sd.error();
  // SD-NAME: 1..32 printable ASCII without '=', ' ', ']' or '"'; a private id carries "@number".
  bool valid = !sd->empty() && sd->size() <= 32 && sd->find('@') != std::string::npos;
  for (char c : *sd) valid = valid && c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
  if (!valid) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: sd_id '{}' is not a private SD-ID (name@enterprise-number, 1..32 printable characters)",
                      config.where(sd_node.IsDefined() ? sd_node : config.node()), *sd);
  }
  o.sd_id = *sd;
  auto body = read_format(config, "json");
  if (!body) return body.error();
  o.body = *body;
  return o;
}

}  // namespace ztai
