// Rule file problems are reported as file:line:col: rule NAME: what, all of them, never a crash.
#include <gtest/gtest.h>

#include "tests/unit/rules/rule_test_support.h"

namespace ztai::rules {
namespace {

using testing::all_text;
using testing::compile_text;
using testing::Host;

std::string errors(const std::string& yaml) {
  auto c = compile_text(yaml);
  EXPECT_FALSE(c.rules) << "compiled:\n" << yaml;
  return all_text(c.diags);
}

TEST(RuleDiagnostics, UnknownFieldNamesFileLineAndColumn) {
  std::string text = errors(R"(- rule: Bad field
  desc: d
  condition: evt.type = execve and
    fd.nme = /etc/shadow
  output: o
  priority: WARNING
)");
  EXPECT_NE(text.find("rules.yaml:4:5: rule Bad field: unknown field fd.nme"), std::string::npos) << text;
}

TEST(RuleDiagnostics, EveryProblemIsReported) {
  std::string text = errors(R"(- macro: loop_a
  condition: loop_b
- macro: loop_b
  condition: loop_a
- rule: Wrong type
  desc: d
  condition: user.uid contains 0
  output: o
  priority: WARNING
- rule: Undefined macro
  desc: d
  condition: not_a_macro and proc.name = sh
  output: o
  priority: WARNING
- rule: Undefined list
  desc: d
  condition: proc.name in no_such_list
  output: o
  priority: WARNING
- rule: Bad regex
  desc: d
  condition: proc.name regex 'a('
  output: o
  priority: WARNING
- rule: Not a number
  desc: d
  condition: user.uid = root
  output: o
  priority: WARNING
- rule: Cycle
  desc: d
  condition: loop_a
  output: o
  priority: WARNING
- rule: Bad output
  desc: d
  condition: proc.name = sh
  output: "pid=%proc.pid file=%fd.nosuch"
  priority: WARNING
- rule: Bad index
  desc: d
  condition: proc.name[1] = sh
  output: o
  priority: WARNING
- rule: Bad priority
  desc: d
  condition: proc.name = sh
  output: o
  priority: LOUD
- rule: Unknown key
  desc: d
  condition: proc.name = sh
  output: o
  priority: WARNING
  outptu: typo
- rule: Missing output
  desc: d
  condition: proc.name = sh
  priority: WARNING
)");
  for (const char* want : {
           "rules.yaml:4:14: macro loop_b: macro cycle: loop_a -> loop_b -> loop_a",
           "rules.yaml:2:14: macro loop_a: macro loop_b has errors",
           "rules.yaml:7:14: rule Wrong type: user.uid contains: operator 'contains' does not apply to a field of type uint",
           "rules.yaml:12:14: rule Undefined macro: 'not_a_macro' is neither a defined macro nor a known field",
           "rules.yaml:17:27: rule Undefined list: undefined list 'no_such_list'",
           "rules.yaml:22:31: rule Bad regex: proc.name regex: bad regex 'a(': missing ): a(",
           "rules.yaml:27:25: rule Not a number: user.uid =: 'root' is not a number",
           "rules.yaml:32:14: rule Cycle: macro loop_a has errors",
           "rules.yaml:38:31: rule Bad output: output: unknown field fd.nosuch",
           "rules.yaml:42:14: rule Bad index: field proc.name takes no index",
           "rules.yaml:49:13: rule Bad priority: unknown priority 'LOUD'",
           "rules.yaml:55:3: rule Unknown key: unknown key 'outptu'",
           "rule Missing output: a rule needs output",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << text;
  }
}

TEST(RuleDiagnostics, YamlSyntaxErrorHasAPosition) {
  std::string text = errors("- rule: x\n  desc: [unclosed\n");
  EXPECT_NE(text.find("rules.yaml:3:1: "), std::string::npos) << text;
  text = errors("rule: not a list\n");
  EXPECT_NE(text.find("a rule file is a list"), std::string::npos) << text;
  text = errors("- something: else\n");
  EXPECT_NE(text.find("rules.yaml:1:3: unknown item"), std::string::npos) << text;
}

TEST(RuleDiagnostics, SkipIfUnknownFilterTurnsUnknownFieldsIntoAWarning) {
  auto c = compile_text(R"(- rule: Needs fd
  desc: d
  condition: fd.nosuch = /etc/shadow
  output: o
  priority: WARNING
  skip-if-unknown-filter: true
- rule: Fine
  desc: d
  condition: proc.name = sh
  output: o
  priority: WARNING
)");
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  EXPECT_EQ(c.rules->rules().size(), 1u);
  EXPECT_NE(all_text(c.diags).find("warning: rule Needs fd: unknown field fd.nosuch; the rule is skipped"),
            std::string::npos);
}

TEST(RuleDiagnostics, OtherSourcesAreSkippedWithAWarning) {
  auto c = compile_text("- rule: k8s\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n"
                        "  source: k8s_audit\n");
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  EXPECT_TRUE(c.rules->rules().empty());
  EXPECT_NE(all_text(c.diags).find("source 'k8s_audit' is not supported"), std::string::npos);
}

TEST(RuleDiagnostics, MacroExpansionIsBounded) {
  // Each macro uses the previous one twice: 2^30 terms if expanded naively.
  std::string yaml = "- macro: m0\n  condition: proc.name = sh\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i - 1) + " or m" +
            std::to_string(i - 1) + "\n";
  }
  yaml += "- rule: big\n  desc: d\n  condition: m30\n  output: o\n  priority: INFO\n";
  std::string text = errors(yaml);
  EXPECT_NE(text.find("expands to more than"), std::string::npos) << text.substr(0, 2000);
}

TEST(RuleDiagnostics, AliasesCannotMultiplyMemory) {
  // One big list, then many lists that alias it: bounded in total, not only per file.
  std::string yaml = "- list: big\n  items: &big [";
  for (int i = 0; i < 20'000; ++i) yaml += "i" + std::to_string(i) + ",";
  yaml += "end]\n";
  for (int i = 0; i < 100; ++i) yaml += "- list: copy" + std::to_string(i) + "\n  items: *big\n";
  std::string text = errors(yaml);
  EXPECT_NE(text.find("the rule files hold more than"), std::string::npos) << text.substr(0, 500);
}

TEST(RuleMerging, AppendAndOverrideFollowFalco) {
  auto c = compile_text(R"(
- list: shells
  items: [sh]
- list: shells
  items: [bash]
  append: true
- macro: is_shell
  condition: proc.name in (shells)
- rule: Shell
  desc: d
  condition: evt.type = execve and is_shell
  output: first
  priority: WARNING
  tags: [a]
- rule: Shell
  condition: and proc.pname != cron
  append: true
- rule: Shell
  output: second %proc.name
  priority: ERROR
  tags: [b]
  override:
    output: replace
    priority: replace
    tags: append
- rule: Off
  desc: d
  condition: proc.name = sh
  output: o
  priority: INFO
- rule: Off
  enabled: false
)");
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  ASSERT_EQ(c.rules->rules().size(), 2u);
  const CompiledRule& shell = c.rules->rules()[0];
  EXPECT_EQ(shell.priority, Priority::kError);
  EXPECT_EQ(shell.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(c.rules->candidates(EventType::kExec) == std::vector<uint32_t>{0}) << "Off is disabled";
  Host h;
  h.exec({10, 100}, {1, 1}, "/usr/sbin/cron", {"cron"});
  h.exec({11, 200}, {10, 100}, "/bin/bash", {"bash"});
  EXPECT_TRUE(h.matches(*c.rules).empty()) << "appended condition excludes cron";
  h.exec({12, 300}, {1, 1}, "/bin/bash", {"bash"});
  EXPECT_EQ(h.alert(*c.rules).output, "second bash");
}

TEST(RuleMerging, AppendingToWhatDoesNotExistIsAnError) {
  std::string text = errors("- rule: Ghost\n  condition: and proc.name = sh\n  append: true\n");
  EXPECT_NE(text.find("rule Ghost: cannot append to a rule that is not defined before"), std::string::npos) << text;
  text = errors("- list: l\n  items: [a]\n  override:\n    items: prepend\n");
  EXPECT_NE(text.find("is not append or replace"), std::string::npos) << text;
}

}  // namespace
}  // namespace ztai::rules
