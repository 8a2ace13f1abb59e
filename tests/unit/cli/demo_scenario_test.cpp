// The demo's scenario table and its judgement: every rule it expects exists in the shipped rule
// packs (so a renamed rule breaks this test, not the demo), placeholders are all known, and the
// verdict fails on a missing alert, a wrong block and any alert of a benign step.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "agent/cli/demo_scenario.h"
#include "agent/fields/field_registry.h"
#include "agent/rules/rule_loader.h"
#include "agent/rules/rule_set.h"

namespace ztai::demo {
namespace {

const std::map<std::string, std::string> kVars = {{"workspace", "/w"},  {"weights", "/m/x.gguf"},
                                                  {"adapter", "/a.pkl"}, {"stage", "/s.bin"},
                                                  {"outside_ip", "127.0.0.2"}, {"outside_port", "4000"}};

SeenAlert seen(std::string rule, nlohmann::json fields = nlohmann::json::object()) {
  return {"2026-01-01T00:00:00.000000000Z", std::move(rule), "Warning", "", std::move(fields)};
}

TEST(DemoScenario, ExpectedRulesExistInTheShippedPacks) {
  rules::LoadedRules loaded =
      rules::load_rules({ZTAI_SOURCE_DIR "/rules/ai", ZTAI_SOURCE_DIR "/rules/host",
                         ZTAI_SOURCE_DIR "/packaging/demo/rules"},
                        false, builtin_fields());
  ASSERT_TRUE(loaded.rules) << loaded.diags.errors_text();
  std::set<std::string> names = {"Network policy denial", "Process policy denial", "File policy denial"};
  for (const auto& r : loaded.rules->rules()) names.insert(r.name);
  for (const DemoStep& step : demo_steps()) {
    EXPECT_EQ(step.kind == StepKind::kMalicious, !step.expect.empty()) << step.title;
    for (const ExpectedAlert& e : step.expect) EXPECT_TRUE(names.count(e.rule)) << step.title << ": " << e.rule;
  }
}

TEST(DemoScenario, EveryPlaceholderIsKnown) {
  const std::regex kPlaceholder(R"(\{[a-z_]+\})");
  for (const DemoStep& step : demo_steps()) {
    DemoStep r = resolve(step, kVars);
    EXPECT_FALSE(std::regex_search(r.action, kPlaceholder)) << r.action;
    if (step.actor == Actor::kAgent) {
      EXPECT_FALSE(nlohmann::json::parse(r.action, nullptr, false).is_discarded()) << r.action;
    }
    for (const ExpectedAlert& e : r.expect) {
      for (const auto& [k, v] : e.fields) EXPECT_FALSE(std::regex_search(v, kPlaceholder)) << k;
    }
  }
}

TEST(DemoScenario, SubstituteReplacesEveryOccurrence) {
  EXPECT_EQ(substitute("cp {a} {a}.bak {b}", {{"a", "/x{a}"}, {"b", "y"}}), "cp /x{a} /x{a}.bak y");
}

TEST(DemoScenario, VerdictNeedsEveryExpectedAlertAndTheNamedBlock) {
  DemoStep step{"t", StepKind::kMalicious, Actor::kAgent, "", {{"Rule A", {}, false},
                                                            {"Process policy denial", {{"policy.name", "p"}}, true}}};
  EXPECT_FALSE(judge(step, {seen("Rule A")}).ok());
  EXPECT_FALSE(judge(step, {seen("Rule A"), seen("Process policy denial", {{"policy.name", "other"}})}).ok());
  StepVerdict v = judge(step, {seen("Rule A"), seen("Other"), seen("Process policy denial", {{"policy.name", "p"}})});
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(all_seen(step, {seen("Rule A"), seen("Process policy denial", {{"policy.name", "p"}})}));
}

TEST(DemoScenario, AnyAlertFailsABenignStep) {
  DemoStep step{"t", StepKind::kBenign, Actor::kAgent, "", {}};
  EXPECT_TRUE(judge(step, {}).ok());
  StepVerdict v = judge(step, {seen("Rule A")});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.unexpected, std::vector<size_t>{0});
}

TEST(DemoScenario, AlertLinesOfOtherCgroupsAreSkipped) {
  auto mine = parse_alert_line(
      R"({"time":"T","rule":"R","priority":"Critical","output":"o","output_fields":{"cgroup.path":"/ztai-demo/agent"}})",
      "/ztai-demo/");
  ASSERT_TRUE(mine && *mine);
  EXPECT_EQ((*mine)->rule, "R");
  EXPECT_EQ((*mine)->priority, "Critical");
  auto other = parse_alert_line(R"({"rule":"R","output_fields":{"cgroup.path":"/user.slice"}})", "/ztai-demo/");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  auto event = parse_alert_line(R"({"kind":"event","output_fields":{"cgroup.path":"/ztai-demo/agent"}})", "/ztai-demo/");
  ASSERT_TRUE(event);
  EXPECT_FALSE(*event);
  EXPECT_FALSE(parse_alert_line("{not json", "/ztai-demo/"));
}

TEST(DemoScenario, AlertsBelongToTheStepDuringWhichTheirEventHappened) {
  std::vector<std::string> starts = {"2026-01-01T00:00:01.000000000Z", "2026-01-01T00:00:05.000000000Z"};
  auto at = [](std::string t) { return SeenAlert{std::move(t), "R", "", "", {}}; };
  EXPECT_EQ(step_of(at("2026-01-01T00:00:00.500000000Z"), starts), 0u);
  EXPECT_EQ(step_of(at("2026-01-01T00:00:04.999999999Z"), starts), 0u);
  EXPECT_EQ(step_of(at("2026-01-01T00:00:05.000000000Z"), starts), 1u);
  EXPECT_EQ(step_of(at("2026-01-01T00:01:00.000000000Z"), starts), 1u);
}

}  // namespace
}  // namespace ztai::demo
