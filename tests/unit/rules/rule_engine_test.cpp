// Compiled rules evaluated against events through a real process table.
#include <gtest/gtest.h>

#include "tests/unit/rules/rule_test_support.h"

namespace ztai::rules {
namespace {

using testing::all_text;
using testing::compile_text;
using testing::Host;

std::string rule(const std::string& name, const std::string& condition, const std::string& extra = "") {
  return "- rule: " + name + "\n  desc: d\n  condition: " + condition + "\n  output: o\n  priority: WARNING\n" + extra;
}

// Whether `condition` matches the curl exec (uid 1000, euid 0) under bash under init.
bool matches(const std::string& condition) {
  auto c = compile_text(rule("r", condition));
  if (!c.rules) {
    ADD_FAILURE() << condition << "\n" << all_text(c.diags);
    return false;
  }
  Host h;
  h.exec({10, 100}, {1, 1}, "/bin/bash", {"bash", "-c", "curl x | sh"});
  h.exec({11, 200}, {10, 100}, "/usr/bin/curl", {"curl", "-s", "http://Example.com/a b"}, 1000, 0);
  return !h.matches(*c.rules).empty();
}

TEST(RuleEngine, Operators) {
  EXPECT_TRUE(matches("evt.type = execve"));
  EXPECT_TRUE(matches("evt.type == execve"));
  EXPECT_FALSE(matches("evt.type != execve"));
  EXPECT_TRUE(matches("proc.name = curl and proc.pname = bash and proc.aname[2] = init"));
  EXPECT_TRUE(matches("proc.name in (wget, curl)"));
  EXPECT_FALSE(matches("proc.name in (wget, 'curl ')"));
  EXPECT_TRUE(matches("proc.cmdline contains Example.com"));
  EXPECT_FALSE(matches("proc.cmdline contains example.com"));
  EXPECT_TRUE(matches("proc.cmdline icontains EXAMPLE.COM"));
  EXPECT_TRUE(matches("proc.exepath startswith /usr/"));
  EXPECT_TRUE(matches("proc.exepath endswith /curl"));
  EXPECT_TRUE(matches("proc.exepath glob '/usr/*/cu?l'"));
  EXPECT_FALSE(matches("proc.exepath glob '/bin/*'"));
  EXPECT_TRUE(matches("proc.cmdline regex 'curl -s http://[A-Za-z.]+/a b'"));
  EXPECT_FALSE(matches("proc.cmdline regex 'curl'"));  // regex matches the whole value, as in Falco
  EXPECT_TRUE(matches("proc.exepath pmatch (/usr/bin, /opt)"));
  EXPECT_TRUE(matches("proc.exepath pmatch (/usr/)"));
  EXPECT_FALSE(matches("proc.exepath pmatch (/usr/bi)"));
  EXPECT_TRUE(matches("user.uid = 1000 and user.euid = 0 and user.uid > 999 and user.uid <= 1000"));
  EXPECT_FALSE(matches("user.uid < 1000"));
  EXPECT_TRUE(matches("user.uid in (0, 1000)"));
  EXPECT_TRUE(matches("user.uid != -1"));
  EXPECT_TRUE(matches("proc.args_truncated = false"));
  EXPECT_TRUE(matches("proc.exepath exists and not proc.exit_code exists"));
  EXPECT_TRUE(matches("proc.argv intersects (-s, -v)"));
  EXPECT_TRUE(matches("proc.aname = init"));  // without an index: any ancestor
  EXPECT_TRUE(matches("proc.aname in (bash)"));
  EXPECT_FALSE(matches("proc.aname = curl"));
  EXPECT_FALSE(matches("proc.aname[5] = init"));  // no such ancestor: the field does not apply
  EXPECT_TRUE(matches("not proc.aname[5] exists"));
  EXPECT_TRUE(matches("proc.name = nope or (proc.name = curl and not proc.pname = sh)"));
  EXPECT_TRUE(matches("proc.pexe = bash and proc.aexe[2] = /sbin/init and proc.aexepath[1] = /bin/bash"));
  EXPECT_TRUE(matches("proc.acmdline[1] = 'bash -c curl x | sh' and proc.aexepath pmatch (/sbin)"));
  EXPECT_FALSE(matches("proc.exit_code = 0"));  // does not apply to execve: false, not an error
  EXPECT_TRUE(matches("not proc.exit_code = 0"));
}

TEST(RuleEngine, ListsAndMacrosExpand) {
  auto c = compile_text(R"(
- list: shells
  items: [sh, bash]
- list: all_shells
  items: [shells, zsh]
- macro: spawned
  condition: evt.type = execve
- macro: shell_parent
  condition: spawned and proc.pname in (all_shells)
)" + rule("r", "shell_parent and proc.name in (wget, curl) and not proc.name in all_shells"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  Host h;
  h.exec({10, 100}, {1, 1}, "/bin/bash", {"bash"});
  EXPECT_TRUE(h.matches(*c.rules).empty());
  h.exec({11, 200}, {10, 100}, "/usr/bin/curl", {"curl"});
  EXPECT_EQ(h.matches(*c.rules), std::vector<std::string>{"r"});
}

TEST(RuleEngine, QuotedListItemsAreNotListNames) {
  auto c = compile_text("- list: shells\n  items: [sh]\n" + rule("r", "proc.name in ('shells')"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  Host h;
  h.exec({11, 200}, {1, 1}, "/bin/sh", {"sh"});
  EXPECT_TRUE(h.matches(*c.rules).empty());
}

TEST(RuleEngine, RulesAreIndexedByEventType) {
  auto c = compile_text(rule("exec", "evt.type in (execve) and proc.name = sh") +
                        rule("exit", "evt.type = procexit") + rule("any", "proc.name = sh") +
                        rule("or", "evt.type = clone or evt.type = execve") +
                        rule("never", "evt.type = nosuchevent and proc.name = sh"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  auto names = [&](EventType t) {
    std::vector<std::string> out;
    for (uint32_t i : c.rules->candidates(t)) out.push_back(c.rules->rules()[i].name);
    return out;
  };
  EXPECT_EQ(names(EventType::kExec), (std::vector<std::string>{"exec", "any", "or"}));
  EXPECT_EQ(names(EventType::kExit), (std::vector<std::string>{"exit", "any"}));
  EXPECT_EQ(names(EventType::kFork), (std::vector<std::string>{"any", "or"}));
  // evt.type = nosuchevent is not an event this agent receives: a warning, and the rule is never visited.
  EXPECT_NE(all_text(c.diags).find("rule never: can never match"), std::string::npos) << all_text(c.diags);
}

TEST(RuleEngine, AllOrFirstMatchingRule) {
  auto c = compile_text(rule("one", "proc.name = sh") + rule("two", "proc.name startswith s") +
                        rule("off", "proc.name = sh", "  enabled: false\n"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  Host h;
  h.exec({11, 200}, {1, 1}, "/bin/sh", {"sh"});
  EXPECT_EQ(h.matches(*c.rules), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(h.matches(*c.rules, MatchMode::kFirst), (std::vector<std::string>{"one"}));
}

TEST(RuleEngine, AlertRendersTheOutputAndCarriesItsFields) {
  auto c = compile_text(R"(
- rule: Shell under nginx
  desc: d
  condition: evt.type = execve and proc.pname = nginx and user.uid = 33
  output: "Shell (cmd=%proc.cmdline parent=%proc.pname gp=%proc.aname[2] ancestors=%proc.aname code=%proc.exit_code 100%%)."
  priority: ERROR
  tags: [shell, T1059]
)");
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  Host h;
  h.exec({10, 100}, {1, 1}, "/usr/sbin/nginx", {"nginx"});
  h.exec({11, 200}, {10, 100}, "/bin/sh", {"sh", "-c", "id"}, 33, 33);
  Record r = h.alert(*c.rules);
  EXPECT_EQ(r.kind, RecordKind::kAlert);
  EXPECT_EQ(r.rule, "Shell under nginx");
  EXPECT_EQ(r.priority, Priority::kError);
  EXPECT_EQ(r.source, "syscall");
  EXPECT_EQ(r.hostname, "host");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"shell", "T1059"}));
  EXPECT_EQ(r.output, "Shell (cmd=sh -c id parent=nginx gp=init ancestors=nginx,init code=<NA> 100%).");
  std::vector<std::string> names;
  for (const auto& [name, value] : r.fields) names.push_back(name);
  // The output's fields first, then the condition's, each once.
  EXPECT_EQ(names, (std::vector<std::string>{"proc.cmdline", "proc.pname", "proc.aname[2]", "proc.aname",
                                             "proc.exit_code", "evt.type", "user.uid"}));
  EXPECT_EQ(r.fields[0].second, FieldValue(std::string("sh -c id")));
  EXPECT_EQ(r.fields[4].second, FieldValue());
  EXPECT_EQ(r.fields[6].second, FieldValue(uint64_t{33}));
}

TEST(RuleEngine, ExceptionsSuppressMatchingTuples) {
  auto c = compile_text(rule("r", "evt.type = execve and proc.name in (sh, bash)", R"(  exceptions:
    - name: known_parents
      fields: [proc.pname, proc.cmdline]
      comps: [=, startswith]
      values:
        - [nginx, sh -c /usr/lib/]
        - [cron, bash]
    - name: trusted_names
      fields: proc.pname
      values: [make, ninja]
)"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  auto fires = [&](const std::string& parent, std::vector<std::string> argv) {
    Host h;
    h.exec({10, 100}, {1, 1}, "/usr/bin/" + parent, {parent});
    h.exec({11, 200}, {10, 100}, "/bin/" + argv[0], argv);
    return !h.matches(*c.rules).empty();
  };
  EXPECT_TRUE(fires("nginx", {"sh", "-c", "id"}));
  EXPECT_FALSE(fires("nginx", {"sh", "-c", "/usr/lib/x"}));
  EXPECT_FALSE(fires("cron", {"bash", "-x"}));
  EXPECT_TRUE(fires("cron", {"sh"}));
  EXPECT_FALSE(fires("make", {"sh"}));
  EXPECT_FALSE(fires("ninja", {"bash"}));
}

TEST(RuleEngine, ProcexitFields) {
  auto c = compile_text(rule("crash", "evt.type = procexit and proc.core_dumped = true and proc.exit_signal = 11"));
  ASSERT_TRUE(c.rules) << all_text(c.diags);
  Host h;
  h.exec({11, 200}, {1, 1}, "/bin/x", {"x"});
  h.exit({11, 200}, 0x80 | 11);
  EXPECT_EQ(h.matches(*c.rules), std::vector<std::string>{"crash"});
  h.exec({12, 300}, {1, 1}, "/bin/y", {"y"});
  h.exit({12, 300}, 11);
  EXPECT_TRUE(h.matches(*c.rules).empty());
}

}  // namespace
}  // namespace ztai::rules
