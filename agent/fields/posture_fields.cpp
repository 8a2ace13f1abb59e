#include "agent/fields/posture_fields.h"

#include <array>
#include <stdexcept>

#include "agent/identity/workload.h"

namespace ztai {
namespace {

// include/uapi/linux/capability.h, by bit.
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",       "CAP_FSETID",
    "CAP_KILL",            "CAP_SETGID",         "CAP_SETUID",          "CAP_SETPCAP",      "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",       "CAP_NET_RAW",      "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",       "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",   "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",     "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",           "CAP_LEASE",        "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",        "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",      "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",      "CAP_PERFMON",      "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};
constexpr int kCapSysAdmin = 21;

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

const Posture* posture_of(const EventContext& c) {
  return c.proc && c.proc->posture ? &*c.proc->posture : nullptr;
}

// The host is what PID 1 sees: the agent runs in the host's pid namespace (hostPID in
// Kubernetes), so PID 1 is the host's init.
const Posture* host_posture(const EventContext& c) {
  const ProcessInfo* init = c.processes.find_tgid(1);
  return init && init->posture ? &*init->posture : nullptr;
}

bool in_container(const EventContext& c) { return c.workload && !c.workload->cgroup.container_id.empty(); }

// Does the process share this namespace with the host? Unknown (0) on either side: no answer.
template <uint32_t Posture::*Ns>
FieldValue shares_host(const EventContext& c, std::string_view) {
  const Posture* p = posture_of(c);
  const Posture* host = host_posture(c);
  if (!p || !host || p->*Ns == 0 || host->*Ns == 0) return {};
  return p->*Ns == host->*Ns;
}

}  // namespace

std::vector<std::string> capability_names(uint64_t caps) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    if (!(caps >> bit & 1)) continue;
    names.emplace_back(bit < static_cast<int>(kCapabilityNames.size()) ? std::string(kCapabilityNames[bit])
                                                                         : "CAP_" + std::to_string(bit));
  }
  return names;
}

void add_posture_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"proc.caps_eff", T::kStringList, "Effective capabilities of the process (CAP_SYS_ADMIN, ...)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Posture* p = posture_of(c);
            return p ? FieldValue(capability_names(p->cap_effective)) : FieldValue();
          }});
  add(r, {"proc.is_root", T::kBool, "The process runs with effective uid 0",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return c.proc ? FieldValue(c.proc->euid == 0) : FieldValue();
          }});
  add(r, {"proc.seccomp", T::kString, "Seccomp mode: disabled, strict or filter",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Posture* p = posture_of(c);
            if (!p) return {};
            static constexpr std::array<std::string_view, 3> kModes = {"disabled", "strict", "filter"};
            return std::string(p->seccomp < kModes.size() ? kModes[p->seccomp] : "unknown");
          }});
  add(r, {"proc.nnp", T::kBool, "no_new_privs is set: exec cannot gain privileges (setuid, file capabilities)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Posture* p = posture_of(c);
            return p ? FieldValue(p->no_new_privs) : FieldValue();
          }});
  add(r, {"container.privileged", T::kBool,
          "In a container with the host's whole capability bounding set and CAP_SYS_ADMIN effective, as "
          "`docker run --privileged` or a privileged pod gives; false outside containers",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const Posture* p = posture_of(c);
            const Posture* host = host_posture(c);
            if (!c.workload || !p || !host) return {};
            if (!in_container(c)) return false;
            bool full_bounding = (p->cap_bounding & host->cap_bounding) == host->cap_bounding;
            return full_bounding && (p->cap_effective >> kCapSysAdmin & 1);
          }});
  add(r, {"container.host_pid", T::kBool, "The process is in the host's pid namespace (hostPID)",
          shares_host<&Posture::pid_ns>});
  add(r, {"container.host_net", T::kBool, "The process is in the host's network namespace (hostNetwork)",
          shares_host<&Posture::net_ns>});
  add(r, {"container.host_mnt", T::kBool, "The process is in the host's mount namespace",
          shares_host<&Posture::mnt_ns>});
}

}  // namespace ztai
