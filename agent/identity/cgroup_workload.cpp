#include "agent/identity/cgroup_workload.h"

#include <charconv>

namespace ztai {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

// Docker, containerd, CRI-O and podman all name containers by 64 hex digits; a shorter run of
// hex is too easily a hash some other tool put in a cgroup name.
bool is_container_id(std::string_view s) { return s.size() == 64 && is_lower_hex(s); }

// 8-4-4-4-12 hex digits, as metadata.uid.
bool is_pod_uid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !is_lower_hex(s.substr(i, 1))) return false;
  }
  return true;
}

bool strip_prefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// The pod UID in a kubelet cgroup name: "pod<uid>" (cgroupfs driver) or
// "kubepods-<qos>-pod<uid_with_underscores>.slice" (systemd driver, which reserves '-').
std::string pod_uid_of(std::string_view c) {
  std::string uid;
  if (strip_suffix(c, ".slice")) {
    size_t at = c.rfind("-pod");
    if (at == std::string_view::npos) return {};
    uid = c.substr(at + 4);
    for (char& ch : uid) {
      if (ch == '_') ch = '-';
    }
  } else if (strip_prefix(c, "pod")) {
    uid = c;
  }
  return is_pod_uid(uid) ? uid : std::string();
}

PodQos qos_of(std::string_view c) {
  if (c == "besteffort" || c.ends_with("kubepods-besteffort.slice")) return PodQos::kBestEffort;
  if (c == "burstable" || c.ends_with("kubepods-burstable.slice")) return PodQos::kBurstable;
  return PodQos::kNone;
}

struct ContainerMatch {
  ContainerRuntime runtime = ContainerRuntime::kNone;
  std::string_view id;
  bool monitor = false;
};

// Container cgroups: "<prefix>-<id>.scope" under the systemd driver, "<prefix>-<id>" or a bare id
// under cgroupfs. The parent tells a bare docker id from a kubelet one.
ContainerMatch container_of(std::string_view c, std::string_view parent) {
  struct Prefix {
    std::string_view text;
    ContainerRuntime runtime;
    bool monitor;
  };
  static constexpr Prefix kPrefixes[] = {
      {"cri-containerd-", ContainerRuntime::kContainerd, false},
      {"crio-conmon-", ContainerRuntime::kCrio, true},
      {"crio-", ContainerRuntime::kCrio, false},
      {"docker-", ContainerRuntime::kDocker, false},
      {"libpod-conmon-", ContainerRuntime::kPodman, true},
      {"libpod-", ContainerRuntime::kPodman, false},
  };
  strip_suffix(c, ".scope");
  for (const Prefix& p : kPrefixes) {
    std::string_view rest = c;
    if (strip_prefix(rest, p.text) && is_container_id(rest)) return {p.runtime, rest, p.monitor};
  }
  if (is_container_id(c)) {
    return {parent == "docker" ? ContainerRuntime::kDocker : ContainerRuntime::kUnknown, c, false};
  }
  return {};
}

bool is_unit(std::string_view c) {
  for (std::string_view suffix : {".service", ".scope", ".socket", ".mount", ".swap"}) {
    if (c.ends_with(suffix) && c.size() > suffix.size()) return true;
  }
  return false;
}

bool user_slice_uid(std::string_view c, uint32_t& uid) {
  if (!strip_prefix(c, "user-") || !strip_suffix(c, ".slice")) return false;
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), uid);
  return ec == std::errc() && end == c.data() + c.size();
}

}  // namespace

std::string_view workload_kind_name(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kHost: return "host";
    case WorkloadKind::kPod: return "pod";
    case WorkloadKind::kContainer: return "container";
    case WorkloadKind::kSystemdService: return "service";
    case WorkloadKind::kSystemdScope: return "scope";
    case WorkloadKind::kUserSession: return "session";
  }
  return "host";
}

std::string_view container_runtime_name(ContainerRuntime runtime) {
  switch (runtime) {
    case ContainerRuntime::kNone: return "";
    case ContainerRuntime::kContainerd: return "containerd";
    case ContainerRuntime::kCrio: return "cri-o";
    case ContainerRuntime::kDocker: return "docker";
    case ContainerRuntime::kPodman: return "podman";
    case ContainerRuntime::kUnknown: return "unknown";
  }
  return "";
}

std::string_view pod_qos_name(PodQos qos) {
  switch (qos) {
    case PodQos::kNone: return "";
    case PodQos::kGuaranteed: return "Guaranteed";
    case PodQos::kBurstable: return "Burstable";
    case PodQos::kBestEffort: return "BestEffort";
  }
  return "";
}

CgroupWorkload parse_cgroup_path(std::string_view path) {
  CgroupWorkload w;
  bool in_kubepods = false;
  std::string_view parent;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view c = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (c.empty()) continue;

    // "kubepods" (cgroupfs), "kubepods.slice", or a prefixed root such as kind's
    // "kubelet-kubepods.slice"; the QoS and pod levels repeat the word under systemd.
    if (c == "kubepods" || c.find("kubepods") != std::string_view::npos) in_kubepods = true;
    if (in_kubepods) {
      if (PodQos q = qos_of(c); q != PodQos::kNone) w.qos = q;
      if (std::string uid = pod_uid_of(c); !uid.empty()) {
        w.pod_uid = std::move(uid);
        // Guaranteed pods sit directly under kubepods, without a QoS level.
        if (w.qos == PodQos::kNone) w.qos = PodQos::kGuaranteed;
        parent = c;
        continue;
      }
    }
    if (ContainerMatch m = container_of(c, parent); m.runtime != ContainerRuntime::kNone) {
      w.runtime = m.runtime;
      w.container_id = m.id;
      w.container_monitor = m.monitor;
    } else if (uint32_t uid; user_slice_uid(c, uid)) {
      w.session_uid = uid;
      w.has_session_uid = true;
    } else if (is_unit(c)) {
      w.systemd_unit = c;
    }
    parent = c;
  }

  if (!w.pod_uid.empty()) {
    w.kind = WorkloadKind::kPod;
  } else if (!w.container_id.empty()) {
    w.kind = WorkloadKind::kContainer;
  } else if (w.systemd_unit.starts_with("session-") && w.systemd_unit.ends_with(".scope")) {
    w.kind = WorkloadKind::kUserSession;
  } else if (w.systemd_unit.ends_with(".scope")) {
    w.kind = WorkloadKind::kSystemdScope;
  } else if (!w.systemd_unit.empty()) {
    w.kind = WorkloadKind::kSystemdService;
  }
  return w;
}

}  // namespace ztai
