// Creates real cgroups under the cgroup v2 mount, shaped as the kubelet + containerd, systemd and
// docker/podman make them, checks the cgroup_mkdir/cgroup_rmdir records (id = the directory's
// inode, path), runs a child in each, and asserts the workload identity on its exec event, with
// and without the pod described by a local API server. Everything is made under one parent named
// for this test and removed afterwards, also on failure.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "agent/common/mounts.h"
#include "agent/fields/field_registry.h"
#include "agent/fields/workload_fields.h"
#include "agent/identity/exe_hasher.h"
#include "agent/identity/pod_watcher.h"
#include "agent/identity/workload_resolver.h"
#include "tests/support/event_collector.h"
#include "tests/support/kernel_test.h"
#include "tests/support/kube_api_double.h"

namespace ztai {
namespace {

using testing::EventCollector;

const std::string kPodUid = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";
const std::string kContainerId = "3e9a1f5c7b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const std::string kDockerId = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

// The cgroups of one test, removed deepest first whatever happens.
class TestCgroups {
 public:
  explicit TestCgroups(std::string mount) : mount_(std::move(mount)) {}
  ~TestCgroups() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) rmdir((mount_ + *it).c_str());
  }
  // Makes every missing level of path (relative, starting with '/'); returns the leaf's id.
  uint64_t make(const std::string& path) {
    for (size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
      std::string level = path.substr(0, at);
      if (mkdir((mount_ + level).c_str(), 0755) == 0) made_.push_back(level);
      if (at == std::string::npos) break;
    }
    return id_of(path);
  }
  uint64_t id_of(const std::string& path) const {
    struct stat sb;
    return stat((mount_ + path).c_str(), &sb) == 0 ? sb.st_ino : 0;
  }
  // Removes everything now (the rmdir records are part of the test).
  void remove_all() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) EXPECT_EQ(rmdir((mount_ + *it).c_str()), 0) << *it;
    made_.clear();
  }
  const std::string& mount() const { return mount_; }

 private:
  std::string mount_;
  std::vector<std::string> made_;
};

// Runs /bin/true inside the cgroup; returns its pid.
pid_t exec_in_cgroup(const std::string& cgroup_dir) {
  pid_t pid = fork();
  if (pid == 0) {
    std::ofstream procs(cgroup_dir + "/cgroup.procs");
    procs << "0" << std::flush;
    if (!procs) _exit(120);
    execl("/bin/true", "true", "ztai-identity-test", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  return pid;
}

std::string cgroup2_mount() {
  auto mounts = read_mounts();
  return mounts ? find_mount(*mounts, "cgroup2").value_or("") : "";
}

// Feeds the collected events, in order, to a process table and the resolver, and returns the
// output fields of the exec of pid, as an event record would carry them.
class Replay {
 public:
  Replay(CgroupPaths& paths, const PodStore* pods, MetricsRegistry& metrics, ExeHasher* hashes = nullptr)
      : processes_({}, "test-host", metrics), resolver_(settings(), paths, pods, metrics), hashes_(hashes) {}

  std::map<std::string, FieldValue> exec_fields(const std::vector<Event>& events, pid_t pid) {
    std::map<std::string, FieldValue> out;
    for (size_t i = next_; i < events.size(); ++i) {
      const Event& e = events[i];
      const ProcessInfo* p = processes_.apply(e);
      const WorkloadIdentity* w = resolver_.resolve(e);
      if (hashes_) hashes_->observe(e);
      if (e.hdr.type == EventType::kExec && e.hdr.proc.tgid == static_cast<uint32_t>(pid)) {
        EventContext ctx{e, p, processes_, clock_, w, nullptr, hashes_};
        std::vector<std::string> names = workload_output_fields();
        names.insert(names.end(), {"proc.exe_sha256", "proc.exe_hash_status"});
        for (auto& [name, value] : extract_fields(builtin_fields(), ctx, names)) out[name] = value;
        next_ = i + 1;
        return out;
      }
    }
    return out;
  }

 private:
  static WorkloadResolverSettings settings() {
    WorkloadResolverSettings s;
    s.trust_domain = "example.org";
    s.node_name = "node-1";
    s.host_name = "test-host";
    s.hybrid = true;  // as on hosts with v1 hierarchies: v2 containers must still win
    return s;
  }
  BootClock clock_;
  ProcessTable processes_;
  WorkloadResolver resolver_;
  ExeHasher* hashes_;
  size_t next_ = 0;
};

std::string str(const std::map<std::string, FieldValue>& f, const std::string& name) {
  auto it = f.find(name);
  if (it == f.end()) return "<absent>";
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  if (auto b = std::get_if<bool>(&it->second)) return *b ? "true" : "false";
  return "<other>";
}

// The coreutils' opinion, to check ours against.
std::string sha256sum(const std::string& path) {
  std::string cmd = "sha256sum " + path;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[65] = {};
  size_t n = p ? fread(buf, 1, 64, p) : 0;
  if (p) pclose(p);
  return std::string(buf, n);
}

class WorkloadIdentityKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZTAI_KERNEL_PREREQ(testing::kernel_available());
    mount_ = cgroup2_mount();
    ZTAI_KERNEL_PREREQ(mount_.empty() ? Status(make_error(ErrorCode::kUnsupported, "no cgroup2 mount")) : Status());
    LoaderSettings settings;
    settings.self_tgid = static_cast<uint32_t>(getpid());
    auto c = EventCollector::start(settings);
    ZTAI_KERNEL_PREREQ(c ? Status() : Status(c.error()));
    collector_ = std::move(*c);
    parent_ = "/ztai-identity-test-" + std::to_string(getpid());
  }

  const Event* wait_cgroup(EventType type, uint64_t id) {
    return collector_->wait_for([&](const Event& e) {
      const CgroupPayload* p = e.as<CgroupPayload>();
      return e.hdr.type == type && p && p->id == id;
    });
  }

  std::string mount_;
  std::string parent_;
  std::unique_ptr<EventCollector> collector_;
  MetricsRegistry metrics_;
};

TEST_F(WorkloadIdentityKernelTest, MkdirAndRmdirCarryTheIdAndPath) {
  TestCgroups cg(mount_);
  std::string path = parent_ + "/system.slice/ztai-test.service";
  uint64_t id = cg.make(path);
  ASSERT_NE(id, 0u);
  const Event* mk = wait_cgroup(EventType::kCgroupMkdir, id);
  ASSERT_NE(mk, nullptr) << "no cgroup_mkdir record for " << path;
  EXPECT_EQ(mk->as<CgroupPayload>()->path, path);
  EXPECT_EQ(mk->as<CgroupPayload>()->level, 3u);
  EXPECT_EQ(mk->hdr.proc.tgid, static_cast<uint32_t>(getpid()));
  EXPECT_FALSE(mk->as<CgroupPayload>()->path_truncated);
  uint64_t parent_id = cg.id_of(parent_);
  ASSERT_NE(wait_cgroup(EventType::kCgroupMkdir, parent_id), nullptr);
  cg.remove_all();
  const Event* rm = wait_cgroup(EventType::kCgroupRmdir, id);
  ASSERT_NE(rm, nullptr) << "no cgroup_rmdir record for " << path;
  EXPECT_EQ(rm->as<CgroupPayload>()->path, path);
  EXPECT_NE(wait_cgroup(EventType::kCgroupRmdir, parent_id), nullptr);
  EXPECT_EQ(collector_->decode_errors(), 0u);
}

TEST_F(WorkloadIdentityKernelTest, ExecEventsCarryTheWorkloadOfTheirCgroup) {
  // The cache is filled before the cgroups exist: only the mkdir records can tell it about them.
  CgroupPaths paths(mount_, 65536, metrics_);
  paths.scan();

  TestCgroups cg(mount_);
  std::string pod = parent_ + "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                    std::string("6f1d2c3b_4a59_4e8f_9a0b_1c2d3e4f5a6b") + ".slice";
  std::string container = pod + "/cri-containerd-" + kContainerId + ".scope";
  std::string service = parent_ + "/system.slice/ztai-test.service";
  std::string docker = parent_ + "/system.slice/docker-" + kDockerId + ".scope";
  std::string podman = parent_ + "/machine.slice/libpod-" + kDockerId + ".scope";
  for (const std::string& p : {container, service, docker, podman}) {
    uint64_t id = cg.make(p);
    ASSERT_NE(id, 0u) << p;
    ASSERT_NE(wait_cgroup(EventType::kCgroupMkdir, id), nullptr) << p;
  }
  pid_t in_container = exec_in_cgroup(mount_ + container);
  pid_t in_service = exec_in_cgroup(mount_ + service);
  pid_t in_docker = exec_in_cgroup(mount_ + docker);
  pid_t in_podman = exec_in_cgroup(mount_ + podman);
  for (pid_t pid : {in_container, in_service, in_docker, in_podman}) {
    ASSERT_NE(collector_->wait_for([&](const Event& e) {
      return e.hdr.type == EventType::kExec && e.hdr.proc.tgid == static_cast<uint32_t>(pid);
    }),
              nullptr);
  }

  // No API server yet: the pod is known by UID and QoS, and says its metadata is unavailable.
  ExeHasher hashes({}, metrics_);
  Replay replay(paths, nullptr, metrics_, &hashes);
  auto f = replay.exec_fields(collector_->events(), in_container);
  EXPECT_EQ(str(f, "workload.kind"), "pod");
  EXPECT_EQ(str(f, "workload.resolution"), "unavailable");
  EXPECT_EQ(str(f, "k8s.pod.uid"), kPodUid);
  EXPECT_EQ(str(f, "k8s.pod.qos"), "BestEffort");
  EXPECT_EQ(str(f, "container.id"), kContainerId.substr(0, 12));
  EXPECT_EQ(str(f, "container.runtime"), "containerd");
  EXPECT_EQ(str(f, "cgroup.path"), container);
  EXPECT_EQ(str(f, "workload.enforceable"), "true");
  EXPECT_EQ(str(f, "workload.cgroup_source"), "v2");

  f = replay.exec_fields(collector_->events(), in_service);
  EXPECT_EQ(str(f, "workload.kind"), "service");
  EXPECT_EQ(str(f, "systemd.unit"), "ztai-test.service");
  EXPECT_EQ(str(f, "container.id"), "host");
  EXPECT_EQ(str(f, "workload.resolution"), "resolved");
  EXPECT_EQ(str(f, "spiffe.id"), "spiffe://example.org/node/node-1/systemd/ztai-test.service");

  // /bin/true has exited by now: hashed through its path, whose inode is the one that ran.
  hashes.drain();
  f = replay.exec_fields(collector_->events(), in_docker);
  EXPECT_EQ(str(f, "proc.exe_hash_status"), "ok");
  EXPECT_EQ(str(f, "proc.exe_sha256"), sha256sum("/bin/true"));
  EXPECT_EQ(str(f, "workload.kind"), "container");
  EXPECT_EQ(str(f, "container.runtime"), "docker");
  EXPECT_EQ(str(f, "container.full_id"), kDockerId);
  EXPECT_EQ(str(f, "spiffe.id"), "spiffe://example.org/node/node-1/container/docker/" + kDockerId);

  f = replay.exec_fields(collector_->events(), in_podman);
  EXPECT_EQ(str(f, "container.runtime"), "podman");
  EXPECT_EQ(metrics_.value("ztai_cgroup_cache_opened_by_id_total"), 0) << "the mkdir records should have sufficed";

  cg.remove_all();
  uint64_t container_id = 0;
  for (const Event& e : collector_->events()) {
    const CgroupPayload* p = e.as<CgroupPayload>();
    if (p && e.hdr.type == EventType::kCgroupMkdir && p->path == container) container_id = p->id;
  }
  ASSERT_NE(wait_cgroup(EventType::kCgroupRmdir, container_id), nullptr);
}

TEST_F(WorkloadIdentityKernelTest, APodDescribedByTheApiServerNamesTheExec) {
  auto api = testing::KubeApiDouble::start();
  ASSERT_TRUE(api) << api.error().message();
  PodStore store;
  PodWatcherSettings ws;
  ws.api = (*api)->api_config();
  ws.node_name = "node-1";
  ws.retry_initial_ms = 20;
  PodWatcher watcher(ws, store, metrics_);
  watcher.start();

  CgroupPaths paths(mount_, 65536, metrics_);
  paths.scan();
  TestCgroups cg(mount_);
  std::string container = parent_ + "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                          std::string("6f1d2c3b_4a59_4e8f_9a0b_1c2d3e4f5a6b") + ".slice/cri-containerd-" +
                          kContainerId + ".scope";
  ASSERT_NE(wait_cgroup(EventType::kCgroupMkdir, cg.make(container)), nullptr);

  // Before the API server has described the pod: pending.
  for (int i = 0; i < 500 && store.state() != PodStore::State::kSynced; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(store.state(), PodStore::State::kSynced);
  Replay replay(paths, &store, metrics_);
  pid_t early = exec_in_cgroup(mount_ + container);
  ASSERT_NE(collector_->wait_for([&](const Event& e) {
    return e.hdr.type == EventType::kExec && e.hdr.proc.tgid == static_cast<uint32_t>(early);
  }),
            nullptr);
  auto f = replay.exec_fields(collector_->events(), early);
  EXPECT_EQ(str(f, "workload.resolution"), "pending");
  EXPECT_EQ(str(f, "k8s.pod.uid"), kPodUid);
  EXPECT_EQ(str(f, "k8s.pod.name"), "<absent>");
  EXPECT_EQ(metrics_.value("ztai_identity_resolutions_total", {{"resolution", "pending"}}), 1);

  testing::TestPod pod;
  pod.uid = kPodUid;
  pod.name = "inference-6d8f7c9b5-qx2lm";
  pod.ns = "ml";
  pod.node = "node-1";
  pod.service_account = "inference";
  pod.labels = {{"app", "inference"}, {"tier", "gpu"}, {"pod-template-hash", "6d8f7c9b5"}};
  pod.owner_kind = "ReplicaSet";
  pod.owner_name = "inference-6d8f7c9b5";
  pod.containers = {{"model-server", "registry.example/vllm:0.6", kContainerId}};
  ASSERT_TRUE((*api)->add(pod));
  for (int i = 0; i < 500 && !store.find(kPodUid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_NE(store.find(kPodUid), nullptr);

  pid_t late = exec_in_cgroup(mount_ + container);
  ASSERT_NE(collector_->wait_for([&](const Event& e) {
    return e.hdr.type == EventType::kExec && e.hdr.proc.tgid == static_cast<uint32_t>(late);
  }),
            nullptr);
  f = replay.exec_fields(collector_->events(), late);
  EXPECT_EQ(str(f, "workload.resolution"), "resolved");
  EXPECT_EQ(str(f, "k8s.pod.name"), "inference-6d8f7c9b5-qx2lm");
  EXPECT_EQ(str(f, "k8s.ns.name"), "ml");
  EXPECT_EQ(str(f, "k8s.sa.name"), "inference");
  EXPECT_EQ(str(f, "k8s.workload.kind"), "Deployment");
  EXPECT_EQ(str(f, "k8s.workload.name"), "inference");
  EXPECT_EQ(str(f, "container.name"), "model-server");
  EXPECT_EQ(str(f, "container.image"), "registry.example/vllm:0.6");
  EXPECT_EQ(str(f, "spiffe.id"), "spiffe://example.org/ns/ml/sa/inference");
  ASSERT_TRUE(f.count("k8s.pod.labels"));
  auto labels = std::get<std::vector<std::string>>(f["k8s.pod.labels"]);
  EXPECT_NE(std::find(labels.begin(), labels.end(), "app:inference"), labels.end());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "tier:gpu"), labels.end());
  watcher.stop();
}

}  // namespace
}  // namespace ztai
