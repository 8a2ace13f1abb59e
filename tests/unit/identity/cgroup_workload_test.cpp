#include "agent/identity/cgroup_workload.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

const std::string kId = "8f4b1c7f9b3e2a1d0c5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c";
const std::string kUid = "0b5c9c3e-4a1f-4bde-9c7a-2f1e3d4c5b6a";
const std::string kUidUnderscores = "0b5c9c3e_4a1f_4bde_9c7a_2f1e3d4c5b6a";

struct Case {
  std::string path;
  WorkloadKind kind;
  ContainerRuntime runtime;
  std::string container_id;
  std::string pod_uid;
  PodQos qos;
  std::string unit;
};

// Shapes from the kubelet (cgroupfs and systemd drivers), containerd, CRI-O, docker and podman.
TEST(CgroupWorkload, RecognisesEveryRuntimeAndDriver) {
  const std::vector<Case> cases = {
      // kubelet, systemd driver, containerd (the shape of the kernel test)
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores +
           ".slice/cri-containerd-" + kId + ".scope",
       WorkloadKind::kPod, ContainerRuntime::kContainerd, kId, kUid, PodQos::kBestEffort, ""},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores + ".slice/crio-" + kId +
           ".scope",
       WorkloadKind::kPod, ContainerRuntime::kCrio, kId, kUid, PodQos::kBurstable, ""},
      // Guaranteed pods have no QoS level
      {"/kubepods.slice/kubepods-pod" + kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope",
       WorkloadKind::kPod, ContainerRuntime::kContainerd, kId, kUid, PodQos::kGuaranteed, ""},
      // kubelet, cgroupfs driver: bare ids, dashed UIDs
      {"/kubepods/besteffort/pod" + kUid + "/" + kId, WorkloadKind::kPod, ContainerRuntime::kUnknown, kId, kUid,
       PodQos::kBestEffort, ""},
      {"/kubepods/pod" + kUid + "/" + kId, WorkloadKind::kPod, ContainerRuntime::kUnknown, kId, kUid,
       PodQos::kGuaranteed, ""},
      {"/kubepods/burstable/pod" + kUid + "/crio-" + kId, WorkloadKind::kPod, ContainerRuntime::kCrio, kId, kUid,
       PodQos::kBurstable, ""},
      // dockershim / cri-dockerd under systemd
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores + ".slice/docker-" +
           kId + ".scope",
       WorkloadKind::kPod, ContainerRuntime::kDocker, kId, kUid, PodQos::kBestEffort, ""},
      // kind nodes put kubepods below the kubelet's slice
      {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
       "kubelet-kubepods-besteffort-pod" +
           kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope",
       WorkloadKind::kPod, ContainerRuntime::kContainerd, kId, kUid, PodQos::kBestEffort, ""},
      // a pod-level cgroup (no container yet)
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores + ".slice",
       WorkloadKind::kPod, ContainerRuntime::kNone, "", kUid, PodQos::kBestEffort, ""},
      // docker
      {"/system.slice/docker-" + kId + ".scope", WorkloadKind::kContainer, ContainerRuntime::kDocker, kId, "",
       PodQos::kNone, ""},
      {"/docker/" + kId, WorkloadKind::kContainer, ContainerRuntime::kDocker, kId, "", PodQos::kNone, ""},
      // podman: rootful systemd, its "container" sub-cgroup, rootless, cgroupfs
      {"/machine.slice/libpod-" + kId + ".scope", WorkloadKind::kContainer, ContainerRuntime::kPodman, kId, "",
       PodQos::kNone, ""},
      {"/machine.slice/libpod-" + kId + ".scope/container", WorkloadKind::kContainer, ContainerRuntime::kPodman, kId,
       "", PodQos::kNone, ""},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
       WorkloadKind::kContainer, ContainerRuntime::kPodman, kId, "", PodQos::kNone, "user@1000.service"},
      {"/libpod_parent/libpod-" + kId, WorkloadKind::kContainer, ContainerRuntime::kPodman, kId, "", PodQos::kNone,
       ""},
      // systemd
      {"/system.slice/sshd.service", WorkloadKind::kSystemdService, ContainerRuntime::kNone, "", "", PodQos::kNone,
       "sshd.service"},
      {"/system.slice/ztai-test.service", WorkloadKind::kSystemdService, ContainerRuntime::kNone, "", "",
       PodQos::kNone, "ztai-test.service"},
      {"/system.slice/containerd.service", WorkloadKind::kSystemdService, ContainerRuntime::kNone, "", "",
       PodQos::kNone, "containerd.service"},
      {"/user.slice/user-1000.slice/session-3.scope", WorkloadKind::kUserSession, ContainerRuntime::kNone, "", "",
       PodQos::kNone, "session-3.scope"},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-2345.scope",
       WorkloadKind::kSystemdScope, ContainerRuntime::kNone, "", "", PodQos::kNone, "app-gnome-firefox-2345.scope"},
      {"/init.scope", WorkloadKind::kSystemdScope, ContainerRuntime::kNone, "", "", PodQos::kNone, "init.scope"},
      // the host
      {"/", WorkloadKind::kHost, ContainerRuntime::kNone, "", "", PodQos::kNone, ""},
      {"", WorkloadKind::kHost, ContainerRuntime::kNone, "", "", PodQos::kNone, ""},
      {"/system.slice", WorkloadKind::kHost, ContainerRuntime::kNone, "", "", PodQos::kNone, ""},
  };
  for (const Case& c : cases) {
    CgroupWorkload w = parse_cgroup_path(c.path);
    EXPECT_EQ(w.kind, c.kind) << c.path << " -> " << workload_kind_name(w.kind);
    EXPECT_EQ(w.runtime, c.runtime) << c.path;
    EXPECT_EQ(w.container_id, c.container_id) << c.path;
    EXPECT_EQ(w.pod_uid, c.pod_uid) << c.path;
    EXPECT_EQ(w.qos, c.qos) << c.path;
    if (!c.unit.empty()) {
      EXPECT_EQ(w.systemd_unit, c.unit) << c.path;
    }
  }
}

TEST(CgroupWorkload, ContainerMonitorsAreMarked) {
  CgroupWorkload conmon = parse_cgroup_path("/machine.slice/libpod-conmon-" + kId + ".scope");
  EXPECT_EQ(conmon.kind, WorkloadKind::kContainer);
  EXPECT_TRUE(conmon.container_monitor);
  EXPECT_EQ(conmon.container_id, kId);
  CgroupWorkload crio = parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                                          kUidUnderscores + ".slice/crio-conmon-" + kId + ".scope");
  EXPECT_EQ(crio.kind, WorkloadKind::kPod);
  EXPECT_TRUE(crio.container_monitor);
  EXPECT_FALSE(parse_cgroup_path("/machine.slice/libpod-" + kId + ".scope").container_monitor);
}

TEST(CgroupWorkload, UserSlicesGiveTheUid) {
  CgroupWorkload w = parse_cgroup_path("/user.slice/user-1000.slice/session-3.scope");
  EXPECT_TRUE(w.has_session_uid);
  EXPECT_EQ(w.session_uid, 1000u);
  EXPECT_FALSE(parse_cgroup_path("/system.slice/cron.service").has_session_uid);
}

TEST(CgroupWorkload, LookalikesAreNotContainers) {
  // Too short, upper case, not hex, a pod UID outside kubepods, a malformed UID.
  for (const std::string& path : std::vector<std::string>{"/docker/8f4b1c7f9b3e", "/docker/" + std::string(64, 'G'),
                           "/system.slice/docker-" + std::string(64, 'A') + ".scope", "/process_api/4eaa6b9658f583de948c519444b15533",
                           "/pod" + kUid + "/x", "/kubepods/besteffort/pod0b5c9c3e-4a1f/" + kId.substr(0, 12)}) {
    CgroupWorkload w = parse_cgroup_path(path);
    EXPECT_TRUE(w.container_id.empty()) << path;
    EXPECT_TRUE(w.pod_uid.empty()) << path;
  }
}

TEST(CgroupWorkload, NamesFollowKubernetesAndFalco) {
  EXPECT_EQ(pod_qos_name(PodQos::kBestEffort), "BestEffort");
  EXPECT_EQ(container_runtime_name(ContainerRuntime::kCrio), "cri-o");
  EXPECT_EQ(workload_kind_name(WorkloadKind::kSystemdService), "service");
}

}  // namespace
}  // namespace ztai
