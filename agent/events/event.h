// Typed events. Kernel records are decoded into these once; everything after decoding (process
// table, rules, outputs) works on them, so tests can feed events without a kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/events/ai_payloads.h"
#include "agent/events/guard_payloads.h"
#include "agent/events/net_payloads.h"
#include "agent/events/policy_payloads.h"
#include "agent/events/selfguard_payloads.h"

namespace ztai {

// tgid + start of the thread-group leader in USER_HZ ticks: see bpf/abi/events.h.
struct ProcKey {
  uint32_t tgid = 0;
  uint64_t start_ticks = 0;

  bool operator==(const ProcKey&) const = default;
  bool valid() const { return tgid != 0; }
};

struct ProcKeyHash {
  size_t operator()(const ProcKey& k) const noexcept {
    return std::hash<uint64_t>{}((k.start_ticks << 22) ^ k.tgid);
  }
};

enum class EventType : uint16_t {
  kExec = 1,
  kFork = 2,
  kExit = 3,
  kCgroupMkdir = 4,
  kCgroupRmdir = 5,
  // File syscalls share one record type; each has its own event type so that evt.type names the
  // syscall as Falco does. 100 + enum ztai_file_syscall.
  kOpen = 101,
  kOpenat,
  kOpenat2,
  kCreat,
  kUnlink,
  kUnlinkat,
  kRename,
  kRenameat,
  kRenameat2,
  kChmod,
  kFchmod,
  kFchmodat,
  kChown,
  kLchown,
  kFchown,
  kFchownat,
  kMemfdCreate,
  // Network, DNS and blind spots: the record type's number.
  kConnect = 7,
  kAccept = 8,
  kBind = 9,
  kListen = 10,
  kSendto = 11,
  kSendmsg = 12,
  kTcpClose = 13,
  kDns = 14,
  kIoUringSetup = 15,
  kRawSocket = 16,
  kDnsQuery = 17,
  kNetDenial = 20,  // network policy (agent/events/policy_payloads.h)
  kGuardDenial = 19,  // process and file enforcement (agent/events/guard_payloads.h)
  kSelfGuard = 22,    // the agent itself acted on (agent/events/selfguard_payloads.h)
  kTlsClientHello = 23,
  // Decoded in userspace from captured byte streams (agent/protocols/stream); no record type.
  kLlmRequest = 64,
  kLlmResponse = 65,
  kMcpMessage = 66,
};

// evt.type as rules and outputs name it; Falco's names where Falco has the event.
std::string_view event_type_name(EventType type);

struct EventHeader {
  EventType type{};
  uint64_t boot_ns = 0;  // CLOCK_BOOTTIME
  uint32_t tid = 0;
  uint32_t cpu = 0;
  ProcKey proc;
  uint64_t cgroup_id = 0;
};

// Security posture of a process as the kernel saw it at exec (bpf/abi/events.h ztai_posture),
// or as /proc shows it for processes that were running before the agent.
struct Posture {
  uint64_t cap_effective = 0;  // bit n: capability n
  uint64_t cap_permitted = 0;
  uint64_t cap_bounding = 0;
  uint32_t pid_ns = 0, net_ns = 0, mnt_ns = 0;  // namespace inode numbers; 0: unknown
  uint8_t seccomp = 0;                           // 0 disabled, 1 strict, 2 filter
  bool no_new_privs = false;
  bool operator==(const Posture&) const = default;
};

struct ExecPayload {
  ProcKey parent;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  uint64_t exe_ino = 0;
  uint32_t exe_dev = 0;
  uint32_t old_tid = 0;
  std::string filename;  // as passed to execve, possibly relative
  std::vector<std::string> argv;
  bool args_truncated = false;
  bool filename_truncated = false;
  bool args_unreadable = false;
  Posture posture;
};

struct ForkPayload {
  ProcKey child;
  ProcKey parent;
  uint64_t child_cgroup_id = 0;
  uint32_t child_tid = 0;
};

struct ExitPayload {
  uint32_t status = 0;  // wait(2) status

  int exit_code() const { return static_cast<int>((status >> 8) & 0xff); }
  int signal() const { return static_cast<int>(status & 0x7f); }
  bool core_dumped() const { return (status & 0x80) != 0; }
};

// cgroup_mkdir / cgroup_rmdir: the header's type tells which.
struct CgroupPayload {
  uint64_t id = 0;  // the directory's inode
  uint32_t level = 0;
  std::string path;  // relative to the hierarchy root, as the acting task's cgroup namespace sees it
  bool path_truncated = false;
};

// A file syscall (see EventType kOpen..kMemfdCreate for which).
struct FilePayload {
  int64_t res = 0;  // fd or 0 on success, -errno on failure
  uint32_t flags = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string path;   // absolute and lexically normalised ("." and ".." folded)
  std::string path2;  // renames: the new path
  bool path_resolved = false;   // it was relative and joined to the cwd or dirfd
  bool path_truncated = false;
  bool path_unreadable = false;

  bool ok() const { return res >= 0; }
};

struct Event {
  EventHeader hdr;
  std::variant<ExecPayload, ForkPayload, ExitPayload, CgroupPayload, FilePayload, NetPayload, DnsPayload,
               IoUringSetupPayload, RawSocketPayload, TlsHelloPayload, LlmPayload, McpPayload,
               GuardDenialPayload, NetDenialPayload, SelfGuardPayload>
      payload;

  template <typename T>
  const T* as() const {
    return std::get_if<T>(&payload);
  }
};

}  // namespace ztai
