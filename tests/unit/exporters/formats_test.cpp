// Conformance of the SIEM formats: required fields and values, and escaping of hostile values
// (`|`, `=`, `\`, line breaks, quotes, `]`, bytes that are not UTF-8).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/common/json_writer.h"
#include "exporters/format/cef_format.h"
#include "exporters/format/ecs_format.h"
#include "exporters/format/format.h"
#include "exporters/format/ocsf_format.h"
#include "exporters/format/syslog_format.h"

namespace ztai {
namespace {

const std::string kHostile = "a|b=c\\d\ne\rf\"g]h\xff\xfe\xc3(i";

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Record hostile_alert() {
  Record r;
  r.time_unix_ns = 1'700'000'000'123'456'789ULL;
  r.rule = "Shell " + kHostile;
  r.priority = Priority::kCritical;
  r.source = "syscall";
  r.hostname = "node 1|x";
  r.output = "output " + kHostile;
  r.tags = {"mitre_execution", "t|1"};
  r.fields = {{"proc.pid", uint64_t(42)},         {"proc.name", std::string("sh")},
              {"proc.cmdline", "sh -c " + kHostile}, {"proc.exepath", std::string("/bin/sh")},
              {"proc.ppid", uint64_t(1)},           {"proc.pname", std::string("python3")},
              {"user.uid", uint64_t(0)},            {"fd.dip", std::string("10.0.0.1")},
              {"fd.dport", uint64_t(443)},          {"fd.name", std::string("/etc/shadow")}};
  return r;
}

TEST(OcsfFormat, DetectionFindingHasEveryRequiredFieldWithCorrectValues) {
  std::string out;
  format_ocsf(hostile_alert(), out);
  ASSERT_TRUE(valid_utf8(out));
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["class_uid"], 2004);
  EXPECT_EQ(j["category_uid"], 2);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["type_uid"], 200401);  // class_uid * 100 + activity_id
  EXPECT_EQ(j["severity_id"], 5);    // Critical
  EXPECT_EQ(j["time"], 1'700'000'000'123LL);
  EXPECT_EQ(j["metadata"]["product"]["name"], "ztai");
  EXPECT_EQ(j["metadata"]["product"]["vendor_name"], "ztai");
  EXPECT_TRUE(j["metadata"]["version"].get<std::string>().starts_with("1."));
  EXPECT_EQ(j["finding_info"]["title"].get<std::string>().substr(0, 8), "Shell a|");
  EXPECT_FALSE(j["finding_info"]["uid"].get<std::string>().empty());
  const auto& ev = j["evidences"][0];
  EXPECT_EQ(ev["process"]["pid"], 42);
  EXPECT_EQ(ev["process"]["parent_process"]["name"], "python3");
  EXPECT_EQ(ev["process"]["user"]["uid"], "0");
  EXPECT_EQ(ev["dst_endpoint"]["ip"], "10.0.0.1");
  EXPECT_EQ(ev["dst_endpoint"]["port"], 443);
  EXPECT_EQ(ev["file"]["path"], "/etc/shadow");
  // Invalid bytes become U+FFFD; the rest of the hostile text is intact.
  EXPECT_EQ(j["message"], "output a|b=c\\d\ne\rf\"g]h\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(i");
  EXPECT_EQ(j["unmapped"]["proc.cmdline"].get<std::string>().substr(0, 8), "sh -c a|");
}

TEST(OcsfFormat, SeverityMapping) {
  EXPECT_EQ(ocsf_severity_id(Priority::kEmergency), 6);
  EXPECT_EQ(ocsf_severity_id(Priority::kError), 4);
  EXPECT_EQ(ocsf_severity_id(Priority::kWarning), 3);
  EXPECT_EQ(ocsf_severity_id(Priority::kNotice), 2);
  EXPECT_EQ(ocsf_severity_id(Priority::kDebug), 1);
}

TEST(CefFormat, HeaderAndExtensionEscapingFollowTheSpec) {
  std::string h;
  cef_escape_header(h, "a|b\\c=d\ne");
  EXPECT_EQ(h, "a\\|b\\\\c=d e");  // `=` needs no escape in the header; line breaks cannot stay
  std::string x;
  cef_escape_extension(x, "a|b\\c=d\ne\rf");
  EXPECT_EQ(x, "a|b\\\\c\\=d\\ne\\rf");  // `|` needs no escape in extensions
  std::string bad;
  cef_escape_extension(bad, "\xff");
  EXPECT_EQ(bad, "\xEF\xBF\xBD");
}

// Splits a CEF line at unescaped '|' (header) as a consumer would.
std::vector<std::string> cef_header(const std::string& line) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < line.size(); ++i) {
    if (parts.size() == 8) {
      parts.back() = line.substr(i);  // the extension keeps its own escaping
      break;
    }
    if (line[i] == '\\' && i + 1 < line.size()) {
      parts.back() += line[++i];
    } else if (line[i] == '|') {
      parts.emplace_back();
    } else {
      parts.back() += line[i];
    }
  }
  return parts;
}

TEST(CefFormat, HostileAlertStaysOneParseableRecord) {
  std::string out;
  format_cef(hostile_alert(), out);
  ASSERT_TRUE(valid_utf8(out));
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  auto parts = cef_header(out);
  ASSERT_EQ(parts.size(), 8u);
  EXPECT_EQ(parts[0], "CEF:0");
  EXPECT_EQ(parts[1], "ztai");
  EXPECT_EQ(parts[2], "ztai");
  EXPECT_EQ(parts[4], parts[5]);
  EXPECT_EQ(parts[5], "Shell a|b=c\\d e f\"g]h\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(i");
  EXPECT_EQ(parts[6], "8");
  // Extensions: every '=' in a value is escaped, so key=value pairs split unambiguously.
  const std::string& ext = parts[7];
  EXPECT_NE(ext.find("rt=1700000000123 "), std::string::npos);
  EXPECT_NE(ext.find("dvchost=node 1|x "), std::string::npos);
  EXPECT_NE(ext.find("msg=output a|b\\=c\\\\d\\ne\\rf\"g]h"), std::string::npos);
  EXPECT_NE(ext.find(" spid=42"), std::string::npos);
  EXPECT_NE(ext.find(" dst=10.0.0.1"), std::string::npos);
  EXPECT_NE(ext.find(" dpt=443"), std::string::npos);
  EXPECT_NE(ext.find(" cs2=mitre_execution,t|1"), std::string::npos);
}

TEST(EcsFormat, AlertShape) {
  std::string out;
  format_ecs(hostile_alert(), out);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["event"]["kind"], "alert");
  EXPECT_EQ(j["@timestamp"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(j["rule"]["name"].get<std::string>().substr(0, 8), "Shell a|");
  EXPECT_EQ(j["process"]["pid"], 42);
  EXPECT_EQ(j["process"]["parent"]["name"], "python3");
  EXPECT_EQ(j["destination"]["port"], 443);
  EXPECT_EQ(j["ztai"]["fields"]["fd.name"], "/etc/shadow");
  auto cats = j["event"]["category"];
  EXPECT_NE(std::find(cats.begin(), cats.end(), "intrusion_detection"), cats.end());
}

TEST(SyslogFormat, Rfc5424HeaderStructuredDataAndMessage) {
  SyslogFormatOptions o;
  o.body = *find_format("cef");
  std::string out;
  Record r = hostile_alert();
  format_rfc5424(r, o, out);
  ASSERT_TRUE(valid_utf8(out));
  // facility 13 * 8 + Critical (2) = 106; six fraction digits at most; space-free hostname.
  std::string head = "<106>1 2023-11-14T22:13:20.123456Z node1|x ztai ";
  ASSERT_EQ(out.substr(0, head.size()), head);
  size_t sd = out.find(" alert [ztai@32473 rule=\"");
  ASSERT_NE(sd, std::string::npos);
  // `"`, `\` and `]` are escaped inside the SD-PARAM value.
  EXPECT_NE(out.find("rule=\"Shell a|b=c\\\\d\ne\rf\\\"g\\]h"), std::string::npos);
  EXPECT_NE(out.find(" priority=\"Critical\" source=\"syscall\" tags=\"mitre_execution,t|1\"] CEF:0|ztai|"),
            std::string::npos);
}

TEST(SyslogFormat, ConfigIsChecked) {
  auto cfg = YamlMap::of(YAML::Load("{facility: 24}"), "c.yaml", "outputs[syslog]");
  EXPECT_FALSE(read_syslog_format(*cfg));
  auto sd = YamlMap::of(YAML::Load("{sd_id: \"bad id\"}"), "c.yaml", "outputs[syslog]");
  auto r = read_syslog_format(*sd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("c.yaml:1:9: sd_id 'bad id' is not a private SD-ID"), std::string::npos)
      << r.error().message();
  auto fmt = YamlMap::of(YAML::Load("{format: xml}"), "c.yaml", "outputs[syslog]");
  auto f = read_syslog_format(*fmt);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("unknown format 'xml'"), std::string::npos);
}

}  // namespace
}  // namespace ztai
