#include "agent/identity/workload_resolver.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace ztai {
namespace {

namespace fs = std::filesystem;

const std::string kId = "8f4b1c7f9b3e2a1d0c5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c";
const std::string kUid = "0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a";
const std::string kPodDir = "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5c9c3e_4a1f_4bde_9c7a_"
                            "2f1e3d4c5b6a.slice";

uint64_t inode_of(const fs::path& p) {
  struct stat sb;
  EXPECT_EQ(stat(p.c_str(), &sb), 0) << p;
  return sb.st_ino;
}

Event event_in(uint64_t cgroup_id, EventType type = EventType::kExec, uint32_t tgid = 100) {
  Event e;
  e.hdr.type = type;
  e.hdr.cgroup_id = cgroup_id;
  e.hdr.proc = {tgid, 5};
  if (type == EventType::kExit) {
    e.payload = ExitPayload{};
  } else {
    e.payload = ExecPayload{};
  }
  return e;
}

PodInfo pod() {
  PodInfo p;
  p.uid = kUid;
  p.name = "api-7d9f-x2x";
  p.ns = "payments";
  p.service_account = "api";
  p.labels = {{"app", "api"}};
  p.containers = {{kId, "server", "registry.example/api:1.2"}};
  return p;
}

class WorkloadResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ztai-resolver-" + std::to_string(getpid()));
    fs::create_directories(root_ / "mnt" / kPodDir / ("cri-containerd-" + kId + ".scope"));
    fs::create_directories(root_ / "mnt" / "system.slice" / "sshd.service");
    fs::create_directories(root_ / "proc");
    paths_ = std::make_unique<CgroupPaths>((root_ / "mnt").string(), 1000, metrics_);
    paths_->scan();
    settings_.trust_domain = "example.org";
    settings_.node_name = "node-1";
    settings_.host_name = "host-1";
    settings_.proc_root = (root_ / "proc").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  uint64_t container_cgroup() const {
    return inode_of(root_ / "mnt" / kPodDir / ("cri-containerd-" + kId + ".scope"));
  }

  fs::path root_;
  MetricsRegistry metrics_;
  std::unique_ptr<CgroupPaths> paths_;
  WorkloadResolverSettings settings_;
};

TEST_F(WorkloadResolverTest, PodIsPendingUntilTheStoreKnowsIt) {
  PodStore store;
  WorkloadResolver r(settings_, *paths_, &store, metrics_);
  const WorkloadIdentity* w = r.resolve(event_in(container_cgroup()));
  EXPECT_EQ(w->resolution, Resolution::kPending);
  EXPECT_EQ(w->cgroup.pod_uid, kUid);
  EXPECT_EQ(w->name, kUid);
  EXPECT_EQ(w->spiffe_id, "");
  EXPECT_EQ(metrics_.value("ztai_identity_resolutions_total", {{"resolution", "pending"}}), 1);

  store.upsert(pod());
  w = r.resolve(event_in(container_cgroup()));
  EXPECT_EQ(w->resolution, Resolution::kResolved);
  ASSERT_TRUE(w->pod);
  EXPECT_EQ(w->pod->name, "api-7d9f-x2x");
  ASSERT_NE(w->container, nullptr);
  EXPECT_EQ(w->container->name, "server");
  EXPECT_EQ(w->spiffe_id, "spiffe://example.org/ns/payments/sa/api");
  EXPECT_TRUE(w->enforceable());
}

TEST_F(WorkloadResolverTest, PodIsUnavailableWithoutMetadataOrWhenTheApiIsDown) {
  WorkloadResolver none(settings_, *paths_, nullptr, metrics_);
  EXPECT_EQ(none.resolve(event_in(container_cgroup()))->resolution, Resolution::kUnavailable);
  PodStore store;
  store.set_state(PodStore::State::kUnreachable);
  WorkloadResolver down(settings_, *paths_, &store, metrics_);
  EXPECT_EQ(down.resolve(event_in(container_cgroup()))->resolution, Resolution::kUnavailable);
}

TEST_F(WorkloadResolverTest, HostServiceAndUnknownCgroups) {
  WorkloadResolver r(settings_, *paths_, nullptr, metrics_);
  const WorkloadIdentity* host = r.resolve(event_in(inode_of(root_ / "mnt")));
  EXPECT_EQ(host->resolution, Resolution::kHost);
  EXPECT_EQ(host->name, "host-1");
  EXPECT_EQ(host->spiffe_id, "spiffe://example.org/node/node-1/host");
  const WorkloadIdentity* sshd = r.resolve(event_in(inode_of(root_ / "mnt" / "system.slice" / "sshd.service")));
  EXPECT_EQ(sshd->resolution, Resolution::kResolved);
  EXPECT_EQ(sshd->name, "sshd.service");
  const WorkloadIdentity* gone = r.resolve(event_in(987654321));
  EXPECT_EQ(gone->resolution, Resolution::kFailed);
  EXPECT_EQ(gone->cgroup_id, 987654321u);
  EXPECT_FALSE(gone->enforceable());
}

TEST_F(WorkloadResolverTest, CgroupEventsKeepTheCacheCurrent) {
  WorkloadResolver r(settings_, *paths_, nullptr, metrics_);
  fs::path dir = root_ / "mnt" / "system.slice" / "ztai-test.service";
  fs::create_directories(dir);
  uint64_t id = inode_of(dir);
  Event mkdir;
  mkdir.hdr.type = EventType::kCgroupMkdir;
  mkdir.hdr.cgroup_id = inode_of(root_ / "mnt");
  mkdir.payload = CgroupPayload{id, 2, "/system.slice/ztai-test.service", false};
  r.resolve(mkdir);
  const WorkloadIdentity* w = r.resolve(event_in(id));
  EXPECT_EQ(w->cgroup.systemd_unit, "ztai-test.service");
  Event rmdir = mkdir;
  rmdir.hdr.type = EventType::kCgroupRmdir;
  r.resolve(rmdir);
  fs::remove(dir);
  EXPECT_EQ(r.resolve(event_in(id))->resolution, Resolution::kFailed);
}

TEST_F(WorkloadResolverTest, HybridHostsTakeContainersFromV1AndSaySo) {
  settings_.hybrid = true;
  fs::create_directories(root_ / "proc" / "100");
  std::ofstream(root_ / "proc" / "100" / "cgroup") << "4:memory:/docker/" << kId << "\n1:name=systemd:/docker/" << kId
                                                    << "\n0::/\n";
  fs::create_directories(root_ / "proc" / "200");
  std::ofstream(root_ / "proc" / "200" / "cgroup") << "4:memory:/process_api/4eaa6b9658f583de948c519444b15533\n0::/\n";
  WorkloadResolver r(settings_, *paths_, nullptr, metrics_);
  uint64_t v2_root = inode_of(root_ / "mnt");

  const WorkloadIdentity* w = r.resolve(event_in(v2_root, EventType::kExec, 100));
  EXPECT_TRUE(w->from_v1);
  EXPECT_EQ(w->cgroup.kind, WorkloadKind::kContainer);
  EXPECT_EQ(w->cgroup.runtime, ContainerRuntime::kDocker);
  EXPECT_EQ(w->cgroup_path, "/docker/" + kId);
  EXPECT_FALSE(w->enforceable());
  EXPECT_EQ(metrics_.value("ztai_identity_v1_only_events_total"), 1);
  EXPECT_EQ(metrics_.value("ztai_cgroup_hybrid"), 1);

  // A fork's child inherits it without reading /proc.
  Event fork = event_in(v2_root, EventType::kExec, 100);
  fork.hdr.type = EventType::kFork;
  ForkPayload fp;
  fp.child = {101, 5};
  fork.payload = fp;
  r.resolve(fork);
  EXPECT_TRUE(r.resolve(event_in(v2_root, EventType::kExec, 101))->from_v1);

  const WorkloadIdentity* host = r.resolve(event_in(v2_root, EventType::kExec, 200));
  EXPECT_FALSE(host->from_v1);
  EXPECT_EQ(host->resolution, Resolution::kHost);

  // After the exit the entry goes; the returned identity stays readable for that event.
  const WorkloadIdentity* last = r.resolve(event_in(v2_root, EventType::kExit, 100));
  EXPECT_TRUE(last->from_v1);
  fs::remove_all(root_ / "proc" / "100");
  EXPECT_FALSE(r.resolve(event_in(v2_root, EventType::kExec, 100))->from_v1);
}

}  // namespace
}  // namespace ztai
