// RuleBundle objects from the API server become rule files and reloads: added, changed, broken
// (the running rules stay), deleted, and deleted while nobody watched.
#include "agent/rules/rule_bundles.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/identity/kube_object_folder.h"
#include "agent/rules/rule_reloader.h"
#include "tests/support/eventually.h"
#include "tests/support/kube_api_double.h"

namespace ztai::rules {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::eventually;

std::string rule(const std::string& name, const std::string& process) {
  return "- rule: " + name + "\n  desc: d\n  condition: evt.type = execve and proc.name = " + process +
         "\n  output: o\n  priority: WARNING\n";
}

json bundle(const std::string& name, const std::string& rules) {
  return {{"apiVersion", "ztai.io/v1alpha1"},
          {"kind", "RuleBundle"},
          {"metadata", {{"name", name}, {"uid", "uid-" + name}}},
          {"spec", {{"rules", rules}}}};
}

class RuleBundlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ztai-bundles-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    folder_ = dir_ + "/rulebundles";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const std::string& name) {
    std::ifstream in(folder_ + "/" + name + ".yaml");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::string dir_;
  std::string folder_;
};

TEST_F(RuleBundlesTest, AListWritesEveryBundleAndRemovesTheOnesDeletedMeanwhile) {
  int changes = 0;
  KubeObjectFolder folder(folder_, rule_bundle_of, [&] { ++changes; });
  ASSERT_TRUE(folder.prepare());
  std::ofstream(folder_ + "/gone.yaml") << rule("gone", "sh");
  EXPECT_EQ(folder.replace_all({bundle("shells", rule("shell", "bash")), bundle("miners", rule("miner", "xmrig"))}), 0u);
  EXPECT_EQ(changes, 1) << "one reload for the whole list";
  EXPECT_EQ(read("shells"), rule("shell", "bash"));
  EXPECT_EQ(read("miners"), rule("miner", "xmrig"));
  EXPECT_FALSE(fs::exists(folder_ + "/gone.yaml")) << "deleted while the agent was not watching";
  EXPECT_EQ(folder.replace_all({bundle("shells", rule("shell", "bash")), bundle("miners", rule("miner", "xmrig"))}), 0u);
  EXPECT_EQ(changes, 1) << "the same list again changes nothing and asks no reload";
}

TEST_F(RuleBundlesTest, WatchEventsWriteAndDeleteAndAnUnchangedBundleAsksNoReload) {
  int changes = 0;
  KubeObjectFolder folder(folder_, rule_bundle_of, [&] { ++changes; });
  ASSERT_TRUE(folder.prepare());
  EXPECT_TRUE(folder.apply("ADDED", bundle("shells", rule("shell", "bash"))));
  EXPECT_TRUE(folder.apply("MODIFIED", bundle("shells", rule("shell", "bash"))));
  EXPECT_EQ(changes, 1) << "a MODIFIED with the same rules (a label changed) is not a reload";
  EXPECT_TRUE(folder.apply("MODIFIED", bundle("shells", rule("shell", "zsh"))));
  EXPECT_EQ(read("shells"), rule("shell", "zsh"));
  EXPECT_TRUE(folder.apply("DELETED", bundle("shells", rule("shell", "zsh"))));
  EXPECT_FALSE(fs::exists(folder_ + "/shells.yaml"));
  EXPECT_EQ(changes, 3);
  for (const auto& e : fs::directory_iterator(folder_)) ADD_FAILURE() << "left behind: " << e.path();
}

TEST_F(RuleBundlesTest, AMalformedObjectIsRefusedWithItsNameAndNothingIsWritten) {
  KubeObjectFolder folder(folder_, rule_bundle_of, [] {});
  ASSERT_TRUE(folder.prepare());
  json escape = bundle("x", rule("a", "b"));
  escape["metadata"]["name"] = "../../etc/cron.d/x";
  EXPECT_FALSE(folder.apply("ADDED", escape));
  json no_rules = bundle("empty", "");
  no_rules["spec"].erase("rules");
  EXPECT_EQ(folder.replace_all({no_rules}), 1u) << "counted as a bad object";
  EXPECT_NE(rule_bundle_of(no_rules).error().message().find("RuleBundle empty: spec.rules"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(folder_));
}

// The whole path: API server -> watcher -> folder -> reloader -> published rule set.
TEST_F(RuleBundlesTest, BundlesFromTheApiServerAreReloadedAndABrokenOneKeepsTheRunningRules) {
  auto api = testing::KubeApiDouble::start();
  ASSERT_TRUE(api) << api.error().message();
  MetricsRegistry metrics;
  RuleSetHandoff handoff;
  std::shared_ptr<const RuleSet> current;
  auto names = [&] {
    if (auto next = handoff.take()) current = next;
    std::vector<std::string> out;
    if (current) {
      for (const CompiledRule& r : current->rules()) out.push_back(r.name);
    }
    return out;
  };
  RuleReloader reloader({{folder_}, true, 0, {}}, builtin_fields(), handoff, metrics);
  KubeWatchSettings w;
  w.api = (*api)->api_config();
  w.path = kRuleBundlesPath;
  w.what = "rule bundles";
  w.resource = "rulebundles.ztai.io";
  w.metric_prefix = "ztai_k8s_rulebundles";
  w.retry_initial_ms = 20;
  ASSERT_TRUE((*api)->add_object(kRuleBundlesPath, bundle("shells", rule("shell", "bash")).dump()));
  auto sync = KubeFolderSync::start(w, folder_, rule_bundle_of, [&] { reloader.request(); }, metrics);
  ASSERT_TRUE(sync) << sync.error().message();
  ASSERT_TRUE(eventually([&] { return names() == std::vector<std::string>{"shell"}; })) << "listed, then reloaded";

  ASSERT_TRUE((*api)->add_object(kRuleBundlesPath, bundle("miners", rule("miner", "xmrig")).dump()));
  ASSERT_TRUE(eventually([&] { return names().size() == 2; })) << "a watch event, then a reload";

  auto& failed = metrics.counter("ztai_rules_reloads_total", "Rule reloads", {{"result", "failed"}});
  ASSERT_TRUE((*api)->modify_object(kRuleBundlesPath, bundle("miners", "- rule: miner\n  condition: evt.type =\n").dump()));
  ASSERT_TRUE(eventually([&] { return failed.value() == 1; })) << "the broken bundle was loaded and refused";
  EXPECT_EQ(names().size(), 2u) << "the running rules stay";

  ASSERT_TRUE((*api)->remove_object(kRuleBundlesPath, "uid-miners"));
  ASSERT_TRUE(eventually([&] { return names() == std::vector<std::string>{"shell"}; }));
  sync->reset();
}

}  // namespace
}  // namespace ztai::rules
