#include "exporters/format/json_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ztai {
namespace {

TEST(JsonFormat, AlertHasFalcosShape) {
  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = 1'700'000'000'000'000'001ULL;
  r.rule = "Shell in model server";
  r.priority = Priority::kWarning;
  r.source = "syscall";
  r.hostname = "node-1";
  r.output = "shell spawned (proc.cmdline=sh -c id)";
  r.tags = {"ai", "mitre_execution"};
  r.fields = {{"proc.pid", uint64_t{42}},
              {"proc.argv", std::vector<std::string>{"sh", "-c", "id"}},
              {"proc.exit_code", int64_t{-1}},
              {"proc.args_truncated", false}};
  std::string out;
  format_json(r, out);
  EXPECT_EQ(out,
            R"j({"time":"2023-11-14T22:13:20.000000001Z","rule":"Shell in model server","priority":"Warning",)j"
            R"j("source":"syscall","hostname":"node-1","output":"shell spawned (proc.cmdline=sh -c id)",)j"
            R"j("tags":["ai","mitre_execution"],"output_fields":{"proc.pid":42,"proc.argv":["sh","-c","id"],)j"
            R"j("proc.exit_code":-1,"proc.args_truncated":false}})j");
}

TEST(JsonFormat, HostileValuesStayOneValidJsonLine) {
  Record r;
  r.kind = RecordKind::kEvent;
  r.fields = {{"proc.cmdline", std::string("a\"b\\c\nd\x01\xff\xfe")}};
  std::string out;
  format_json(r, out);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["kind"], "event");
  EXPECT_EQ(j["output_fields"]["proc.cmdline"], "a\"b\\c\nd\x01\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Priority, ParsesFalcoNamesCaseInsensitively) {
  EXPECT_EQ(parse_priority("WARNING"), Priority::kWarning);
  EXPECT_EQ(parse_priority("info"), Priority::kInformational);
  EXPECT_EQ(parse_priority("Emergency"), Priority::kEmergency);
  EXPECT_EQ(parse_priority("loud"), std::nullopt);
  EXPECT_EQ(priority_name(Priority::kCritical), "Critical");
}

}  // namespace
}  // namespace ztai
