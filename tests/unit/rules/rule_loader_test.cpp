// Loading from files and folders, rule tests, and hot reload through the handoff.
#include "agent/rules/rule_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/rules/rule_reloader.h"
#include "agent/rules/rule_tests.h"
#include "tests/unit/rules/rule_test_support.h"

namespace ztai::rules {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ztai-rules-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = fs::path(path_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string rule(const std::string& name, const std::string& condition) {
  return "- rule: " + name + "\n  desc: d\n  condition: " + condition + "\n  output: o\n  priority: WARNING\n";
}

std::vector<std::string> names(const RuleSet& rules) {
  std::vector<std::string> out;
  for (const CompiledRule& r : rules.rules()) out.push_back(r.name);
  return out;
}

TEST(RuleLoader, FoldersLoadInPathOrderAndLaterFilesExtendEarlierOnes) {
  TempDir dir;
  dir.write("b/20-more.yaml", "- list: shells\n  items: [zsh]\n  append: true\n" + rule("second", "proc.name in (shells)"));
  dir.write("a/10-base.yml", "- list: shells\n  items: [sh]\n" + rule("first", "proc.name in (shells)"));
  dir.write("a/notes.txt", "not a rule file");
  LoadedRules loaded = load_rules({dir.path()}, false, builtin_fields());
  ASSERT_TRUE(loaded.rules) << testing::all_text(loaded.diags);
  EXPECT_EQ(names(*loaded.rules), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(loaded.files.size(), 2u);
}

TEST(RuleLoader, MissingPathsAreErrorsUnlessAllowed) {
  LoadedRules strict = load_rules({"/nonexistent/ztai-rules"}, false, builtin_fields());
  EXPECT_FALSE(strict.rules);
  EXPECT_NE(strict.diags.errors_text().find("/nonexistent/ztai-rules: no such file or folder"), std::string::npos);
  LoadedRules lenient = load_rules({"/nonexistent/ztai-rules"}, true, builtin_fields());
  ASSERT_TRUE(lenient.rules);
  EXPECT_TRUE(lenient.rules->rules().empty());
}

TEST(RuleLoader, ErrorsNameTheFileOnDisk) {
  TempDir dir;
  std::string file = dir.write("bad.yaml", rule("ok", "proc.name = sh") + rule("bad", "proc.nam = sh"));
  LoadedRules loaded = load_rules({file}, false, builtin_fields());
  EXPECT_FALSE(loaded.rules);
  EXPECT_NE(loaded.diags.errors_text().find(file + ":8:14: rule bad: unknown field proc.nam"), std::string::npos)
      << loaded.diags.errors_text();
}

TEST(RuleTests, PassingAndFailingExpectations) {
  TempDir dir;
  dir.write("rules/r.yaml", rule("Shell", "evt.type = execve and proc.name = sh"));
  std::string tests = dir.write("tests/t.yaml", R"(rules: [../rules/r.yaml]
tests:
  - name: matches
    events:
      - {type: execve, pid: 10, exe: /bin/sh}
    expect:
      - {rule: Shell, event: 1, output: o}
  - name: expects an alert that does not come
    events:
      - {type: execve, pid: 10, exe: /bin/bash}
    expect:
      - {rule: Shell, event: 1}
  - name: gets an alert it did not expect
    events:
      - {type: execve, pid: 10, exe: /bin/bash}
      - {type: clone, pid: 10, child: 11}
      - {type: execve, pid: 11, exe: /bin/sh}
    expect: []
  - name: wrong output
    events:
      - {type: execve, pid: 10, exe: /bin/sh}
    expect:
      - {rule: Shell, event: 1, output: something else}
)");
  RuleTestReport report = run_rule_tests({tests}, builtin_fields());
  EXPECT_EQ(report.passed, 1u);
  EXPECT_EQ(report.failed, 3u);
  EXPECT_FALSE(report.ok());
  std::string all;
  for (const std::string& l : report.lines) all += l + "\n";
  EXPECT_NE(all.find("PASS " + tests + ": matches"), std::string::npos) << all;
  EXPECT_NE(all.find("expected 'Shell' at event 1, got none"), std::string::npos) << all;
  EXPECT_NE(all.find("unexpected alert 'Shell' at event 3"), std::string::npos) << all;
  EXPECT_NE(all.find("want: something else"), std::string::npos) << all;
}

TEST(RuleTests, BrokenRulesOrTestsFailWithTheirPlace) {
  TempDir dir;
  dir.write("r.yaml", rule("Shell", "proc.nme = sh"));
  std::string t1 = dir.write("t1.yaml", "rules: [r.yaml]\ntests:\n  - name: x\n    events: [{type: execve, pid: 1, exe: /a}]\n    expect: []\n");
  std::string t2 = dir.write("t2.yaml", "rules: []\ntests: []\n");
  RuleTestReport report = run_rule_tests({t1, t2}, builtin_fields());
  EXPECT_EQ(report.failed, 2u);
  EXPECT_NE(report.lines[0].find("unknown field proc.nme"), std::string::npos) << report.lines[0];
}

TEST(RuleTests, AiAndDnsEventsAreBuiltAndCheckedWithTheirPlace) {
  TempDir dir;
  dir.write("r.yaml", rule("Tool", "evt.type = llm_response and llm.tool.name = run_command") +
                          rule("Mcp", "evt.type = mcp_message and mcp.tool.name = fetch") +
                          rule("Named", "evt.type = connect and net.dns.names = api.example.com"));
  std::string good = dir.write("good.yaml", R"(rules: [r.yaml]
tests:
  - name: ai events
    events:
      - {type: llm_response, pid: 5, model: m, tool_calls: [{name: run_command, args: "{}"}]}
      - {type: mcp_message, pid: 5, kind: request, method: tools/call, tool: fetch}
      - {type: dns, pid: 5, query: api.example.com, answers: [192.0.2.1, "2001:db8::1"]}
      - {type: connect, pid: 5, dip: "2001:db8::1", dport: 443}
    expect:
      - {rule: Tool, event: 1}
      - {rule: Mcp, event: 2}
      - {rule: Named, event: 4}
)");
  std::string bad = dir.write("bad.yaml", R"(rules: [r.yaml]
tests:
  - name: bad tool calls
    events:
      - {type: llm_response, pid: 5, tool_calls: run_command}
    expect: []
  - name: bad kind
    events:
      - {type: mcp_message, pid: 5, kind: answer}
    expect: []
  - name: bad answer
    events:
      - {type: dns, pid: 5, query: a.example, answers: [not-an-ip]}
    expect: []
)");
  RuleTestReport report = run_rule_tests({good, bad}, builtin_fields());
  std::string all;
  for (const std::string& l : report.lines) all += l + "\n";
  EXPECT_EQ(report.passed, 1u) << all;
  EXPECT_EQ(report.failed, 3u) << all;
  EXPECT_NE(all.find("bad.yaml:5:"), std::string::npos) << "errors name the place: " << all;
  EXPECT_NE(all.find("tool_calls is a list"), std::string::npos) << all;
  EXPECT_NE(all.find("kind is request, notification, result or error"), std::string::npos) << all;
  EXPECT_NE(all.find("'not-an-ip' is not an IP address"), std::string::npos) << all;
}

TEST(RuleSetHandoff, TakesOnlyWhatWasPublished) {
  RuleSetHandoff handoff;
  EXPECT_EQ(handoff.take(), nullptr);
  auto a = testing::compile_text(rule("a", "proc.name = a")).rules;
  auto b = testing::compile_text(rule("b", "proc.name = b")).rules;
  handoff.publish(a);
  handoff.publish(b);  // replaces a before the event thread took it
  EXPECT_EQ(handoff.take(), b);
  EXPECT_EQ(handoff.take(), nullptr);
}

// Waits for the reloader thread's outcome (a metric), not for a time.
bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST(RuleReloader, ABadChangeKeepsTheRunningSetAndAGoodOneReplacesIt) {
  TempDir dir;
  std::string file = dir.write("r.yaml", rule("v1", "proc.name = sh"));
  MetricsRegistry metrics;
  RuleSetHandoff handoff;
  RuleReloader reloader({{dir.path()}, false, 0, {}}, builtin_fields(), handoff, metrics);

  dir.write("r.yaml", rule("v2", "proc.name = sh and"));
  reloader.request();
  ASSERT_TRUE(wait_for([&] { return metrics.value("ztai_rules_reloads_total", {{"result", "failed"}}) == 1; }));
  EXPECT_EQ(handoff.take(), nullptr);

  dir.write("r.yaml", rule("v3", "proc.name = sh"));
  reloader.request();
  ASSERT_TRUE(wait_for([&] { return metrics.value("ztai_rules_reloads_total", {{"result", "ok"}}) == 1; }));
  auto next = handoff.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(names(*next), std::vector<std::string>{"v3"});
}

TEST(RuleReloader, AChangedFileIsNoticedWithoutASignal) {
  TempDir dir;
  dir.write("r.yaml", rule("v1", "proc.name = sh"));
  MetricsRegistry metrics;
  RuleSetHandoff handoff;
  RuleReloader reloader({{dir.path()}, false, 20, {}}, builtin_fields(), handoff, metrics);
  dir.write("more.yaml", rule("v2", "proc.name = bash"));
  ASSERT_TRUE(wait_for([&] { return metrics.value("ztai_rules_reloads_total", {{"result", "ok"}}) >= 1; }));
  auto next = handoff.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(names(*next), (std::vector<std::string>{"v2", "v1"}));
}

}  // namespace
}  // namespace ztai::rules
