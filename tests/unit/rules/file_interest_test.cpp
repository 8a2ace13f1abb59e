#include "agent/rules/file_interest.h"

#include <gtest/gtest.h>

#include "agent/config/yaml_map.h"
#include "agent/rules/rule_compiler.h"
#include "agent/rules/rule_document.h"

namespace ztai::rules {
namespace {

using K = PathPattern::Kind;

// Compiles one rule file and returns what it needs from the kernel's file sensor.
FileInterest interest_of(const std::string& yaml) {
  Diagnostics diags;
  RuleDocument doc;
  doc.add_text(yaml, "test.yaml", diags);
  auto set = compile_rules(doc, builtin_fields(), diags);
  EXPECT_NE(set, nullptr) << diags.errors_text();
  return set ? file_interest_of(*set) : FileInterest{};
}

std::string rule(const std::string& name, const std::string& condition) {
  return "- rule: " + name + "\n  desc: d\n  condition: " + condition + "\n  output: o\n  priority: WARNING\n";
}

// The shipped packs load by default: one rule without a path bound would make the kernel report
// every open on the host.
TEST(FileInterest, TheShippedRulePacksKeepTheFileFilterNarrow) {
  Diagnostics diags;
  RuleDocument doc;
  doc.add_file(std::string(ZTAI_SOURCE_DIR) + "/rules/host/host_rules.yaml", diags);
  doc.add_file(std::string(ZTAI_SOURCE_DIR) + "/rules/ai/ai_rules.yaml", diags);
  doc.add_file(std::string(ZTAI_SOURCE_DIR) + "/rules/ai/ai_sequence_rules.yaml", diags);
  auto set = compile_rules(doc, builtin_fields(), diags);
  ASSERT_NE(set, nullptr) << diags.errors_text();
  FileInterest i = file_interest_of(*set);
  EXPECT_TRUE(i.enabled);
  EXPECT_FALSE(i.all_paths) << "a shipped file rule has no exact, prefix or suffix bound";
  EXPECT_TRUE(std::find(i.patterns.begin(), i.patterns.end(), PathPattern{K::kSuffix, ".gguf"}) != i.patterns.end());
}

TEST(FileInterest, NoFileRuleMeansNoFileEvents) {
  FileInterest i = interest_of(rule("exec", "evt.type = execve and proc.name = bash"));
  EXPECT_FALSE(i.enabled);
}

TEST(FileInterest, PathConstraintsBecomeKernelPatterns) {
  FileInterest i = interest_of(
      "- macro: open_read\n  condition: evt.type in (open, openat, openat2)\n" +
      rule("weights", "open_read and fd.name endswith .gguf") +
      rule("ssh", "open_read and (fd.name startswith /root/.ssh/ or fd.directory = /etc/ssh)") +
      rule("exact", "evt.type = openat and fd.name in (/etc/shadow, /etc/sudoers)") +
      rule("named", "evt.type = openat and fd.filename = id_rsa and not proc.name = sshd"));
  EXPECT_TRUE(i.enabled);
  EXPECT_FALSE(i.all_paths);
  auto has = [&](K k, const std::string& v) {
    return std::find(i.patterns.begin(), i.patterns.end(), PathPattern{k, v}) != i.patterns.end();
  };
  EXPECT_TRUE(has(K::kSuffix, ".gguf"));
  EXPECT_TRUE(has(K::kPrefix, "/root/.ssh/"));
  EXPECT_TRUE(has(K::kPrefix, "/etc/ssh/"));
  EXPECT_TRUE(has(K::kExact, "/etc/shadow"));
  EXPECT_TRUE(has(K::kExact, "/etc/sudoers"));
  EXPECT_TRUE(has(K::kSuffix, "/id_rsa"));
  EXPECT_EQ(i.patterns.size(), 6u);
}

TEST(FileInterest, AnUnboundedFileRuleWantsEveryPath) {
  FileInterest or_any = interest_of(rule("r", "evt.type = openat and (fd.name endswith .pt or proc.name = python3)"));
  EXPECT_TRUE(or_any.all_paths) << "one side of the 'or' matches any path";
  FileInterest negated = interest_of(rule("r", "evt.type = openat and not fd.name startswith /tmp/"));
  EXPECT_TRUE(negated.all_paths);
  FileInterest typeless = interest_of(rule("r", "proc.name = curl"));
  EXPECT_TRUE(typeless.enabled) << "a rule without evt.type can match file events too";
  EXPECT_TRUE(typeless.all_paths);
}

}  // namespace
}  // namespace ztai::rules
