#include "agent/identity/pod_watcher.h"


#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/support/kube_api_double.h"

namespace ztai {
namespace {

using testing::KubeApiDouble;
using testing::TestPod;
using testing::eventually;

TestPod make_pod(const std::string& uid, const std::string& name, const std::string& node) {
  TestPod p;
  p.uid = uid;
  p.name = name;
  p.node = node;
  p.ns = "payments";
  p.service_account = "api";
  p.labels = {{"app", name}};
  p.containers = {{"server", "registry.example/" + name + ":1", std::string(64, uid[0])}};
  return p;
}

class PodWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = KubeApiDouble::start();
    ASSERT_TRUE(api) << api.error().message();
    api_ = std::move(*api);
    settings_.api = api_->api_config();
    settings_.node_name = "node-1";
    settings_.retry_initial_ms = 20;
    settings_.retry_max_ms = 100;
    settings_.page_size = 2;
  }

  std::string name_of(const std::string& uid) {
    auto p = store_.find(uid);
    return p ? p->name : "";
  }

  std::unique_ptr<KubeApiDouble> api_;
  PodWatcherSettings settings_;
  PodStore store_;
  MetricsRegistry metrics_;
};

TEST_F(PodWatcherTest, ListsThisNodesPodsAcrossPagesThenWatches) {
  for (char c : {'a', 'b', 'c'}) ASSERT_TRUE(api_->add(make_pod(std::string(1, c) + "-uid", std::string("p") + c, "node-1")));
  ASSERT_TRUE(api_->add(make_pod("z-uid", "elsewhere", "node-2")));
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return store_.state() == PodStore::State::kSynced && store_.size() == 3; }));
  EXPECT_EQ(name_of("b-uid"), "pb");
  EXPECT_EQ(store_.find("z-uid"), nullptr);
  EXPECT_EQ(store_.find("a-uid")->containers.at(0).name, "server");

  TestPod d = make_pod("d-uid", "pd", "node-1");
  ASSERT_TRUE(api_->add(d));
  ASSERT_TRUE(eventually([&] { return name_of("d-uid") == "pd"; }));
  d.labels["version"] = "2";
  ASSERT_TRUE(api_->modify(d));
  ASSERT_TRUE(eventually([&] { return store_.find("d-uid") && store_.find("d-uid")->labels.count("version"); }));
  ASSERT_TRUE(api_->remove("a-uid"));
  ASSERT_TRUE(eventually([&] { return store_.find("a-uid") == nullptr; }));
  ASSERT_TRUE(api_->add(make_pod("y-uid", "other-node", "node-2")));
  EXPECT_EQ(metrics_.value("ztai_k8s_lists_total"), 1);
  EXPECT_EQ(metrics_.value("ztai_k8s_api_reachable"), 1);
  EXPECT_EQ(store_.find("y-uid"), nullptr);
}

TEST_F(PodWatcherTest, AnExpiredContinueTokenStartsTheListAgain) {
  for (char c : {'a', 'b', 'c', 'd', 'e'}) {
    ASSERT_TRUE(api_->add(make_pod(std::string(1, c) + "-uid", std::string("p") + c, "node-1")));
  }
  ASSERT_TRUE(api_->command(R"({"op":"expire_continue"})"));
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return store_.state() == PodStore::State::kSynced && store_.size() == 5; }));
  EXPECT_EQ(metrics_.value("ztai_k8s_lists_total"), 1);
  EXPECT_EQ(metrics_.value("ztai_k8s_request_errors_total"), 1);
  // Pages of 2: page 1, page 2 refused, then pages 1 to 3 again.
  auto stats = api_->stats();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("\"list\": 5"), std::string::npos) << *stats;
}

TEST_F(PodWatcherTest, ADroppedWatchResumesWithoutRelisting) {
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return store_.state() == PodStore::State::kSynced; }));
  ASSERT_TRUE(api_->add(make_pod("a-uid", "pa", "node-1")));
  ASSERT_TRUE(eventually([&] { return name_of("a-uid") == "pa"; }));
  ASSERT_TRUE(api_->command(R"({"op":"drop_watches"})"));
  ASSERT_TRUE(api_->add(make_pod("b-uid", "pb", "node-1")));
  ASSERT_TRUE(eventually([&] { return name_of("b-uid") == "pb"; }));
  EXPECT_GE(metrics_.value("ztai_k8s_watch_restarts_total", {{"reason", "closed"}}), 1);
  EXPECT_EQ(metrics_.value("ztai_k8s_lists_total"), 1) << "a resumed watch needs no list";
  auto stats = api_->stats();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("\"watch\": 2"), std::string::npos) << *stats;
}

TEST_F(PodWatcherTest, GoneRelistsAndDropsPodsDeletedMeanwhile) {
  ASSERT_TRUE(api_->add(make_pod("a-uid", "pa", "node-1")));
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return name_of("a-uid") == "pa"; }));
  // The pod goes away and another comes while the history that would say so is compacted away:
  // the watch gets 410 Gone and only a new list can tell.
  ASSERT_TRUE(api_->command(R"({"op":"delete","uid":"a-uid","silent":true})"));
  ASSERT_TRUE(api_->command(R"({"op":"expire_watches"})"));
  ASSERT_TRUE(eventually([&] { return metrics_.value("ztai_k8s_lists_total") >= 2; }));
  ASSERT_TRUE(eventually([&] { return store_.find("a-uid") == nullptr; }));
  EXPECT_GE(metrics_.value("ztai_k8s_watch_restarts_total", {{"reason", "expired"}}), 1);

  // A watch resuming from a compacted version gets 410 too.
  ASSERT_TRUE(api_->command(R"({"op":"drop_watches"})"));
  ASSERT_TRUE(api_->command(R"({"op":"expire_watches"})"));
  ASSERT_TRUE(eventually([&] { return metrics_.value("ztai_k8s_lists_total") >= 3; }));
  ASSERT_TRUE(api_->add(make_pod("c-uid", "pc", "node-1")));
  ASSERT_TRUE(eventually([&] { return name_of("c-uid") == "pc"; }));
}

TEST_F(PodWatcherTest, AnUnreachableServerIsReportedAndRetried) {
  ASSERT_TRUE(api_->command(R"({"op":"fail","n":3,"status":503})"));
  ASSERT_TRUE(api_->add(make_pod("a-uid", "pa", "node-1")));
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return metrics_.value("ztai_k8s_request_errors_total") >= 1; }));
  ASSERT_TRUE(eventually([&] { return name_of("a-uid") == "pa" && store_.state() == PodStore::State::kSynced; }));
  EXPECT_EQ(metrics_.value("ztai_k8s_request_errors_total"), 3);
  EXPECT_EQ(metrics_.value("ztai_k8s_api_reachable"), 1);
}

TEST_F(PodWatcherTest, NoServerAtAllMeansUnavailable) {
  settings_.api.server = "https://127.0.0.1:1";  // nothing listens on port 1
  PodWatcher w(settings_, store_, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return store_.state() == PodStore::State::kUnreachable; }));
  EXPECT_EQ(metrics_.value("ztai_k8s_api_reachable"), 0);
  w.stop();  // returns promptly even while backing off
}

TEST_F(PodWatcherTest, AWrongTokenOrCaIsAnError) {
  settings_.api.token = "wrong";
  {
    PodWatcher w(settings_, store_, metrics_);
    w.start();
    ASSERT_TRUE(eventually([&] { return store_.state() == PodStore::State::kUnreachable; }));
  }
  auto stats = api_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->find("\"unauthorized\": 0"), std::string::npos) << *stats;

  PodStore other;
  settings_.api = api_->api_config();
  settings_.api.ca_file = "/etc/ssl/certs/ca-certificates.crt";  // does not vouch for the double
  PodWatcher w(settings_, other, metrics_);
  w.start();
  ASSERT_TRUE(eventually([&] { return other.state() == PodStore::State::kUnreachable; }));
  EXPECT_EQ(other.size(), 0u);
}

}  // namespace
}  // namespace ztai
