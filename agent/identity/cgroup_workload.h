// What a cgroup path says about the workload inside it: a container (containerd, CRI-O, docker,
// podman) under the cgroupfs or the systemd driver, a Kubernetes pod (UID, QoS class) under
// `kubepods`, a systemd service, scope or user session, or the host. Pure string work, so every
// path shape the runtimes produce is tested without them.
#pragma once

#include <string>
#include <string_view>

namespace ztai {

enum class WorkloadKind { kHost, kPod, kContainer, kSystemdService, kSystemdScope, kUserSession };
enum class ContainerRuntime { kNone, kContainerd, kCrio, kDocker, kPodman, kUnknown };
enum class PodQos { kNone, kGuaranteed, kBurstable, kBestEffort };

std::string_view workload_kind_name(WorkloadKind kind);
std::string_view container_runtime_name(ContainerRuntime runtime);
// Kubernetes' spelling (status.qosClass): Guaranteed, Burstable, BestEffort.
std::string_view pod_qos_name(PodQos qos);

struct CgroupWorkload {
  WorkloadKind kind = WorkloadKind::kHost;
  ContainerRuntime runtime = ContainerRuntime::kNone;
  std::string container_id;   // full hex id, as `docker ps --no-trunc` and the CRI show it
  std::string pod_uid;        // with dashes, as metadata.uid
  PodQos qos = PodQos::kNone;
  std::string systemd_unit;   // deepest unit that is not a container scope: sshd.service, session-3.scope
  uint32_t session_uid = 0;   // user-UID.slice above the unit, when there is one
  bool has_session_uid = false;
  bool container_monitor = false;  // conmon of CRI-O or podman: belongs to the pod, not to a container

  bool operator==(const CgroupWorkload&) const = default;
};

// path: relative to the hierarchy root, "/" for the root ("0::/..." in /proc/PID/cgroup, or a
// cgroup v1 controller path).
CgroupWorkload parse_cgroup_path(std::string_view path);

}  // namespace ztai
