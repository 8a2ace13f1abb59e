// Typed events. Kernel records are decoded into these once; everything after decoding (process
// table, rules, outputs) works on them, so tests can feed events without a kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

struct Event {
  EventHeader hdr;
  std::variant<ExecPayload, ForkPayload, ExitPayload> payload;

  template <typename T>
  const T* as() const {
    return std::get_if<T>(&payload);
  }
};

}  // namespace ztai
