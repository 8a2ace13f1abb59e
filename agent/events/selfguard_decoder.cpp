#include "agent/events/selfguard_decoder.h"

#include <linux/bpf.h>
#include <string.h>

#include <cstring>

#include <fmt/format.h>

#include "bpf/abi/selfguard.h"

namespace ztai {
namespace {

constexpr uint32_t kPtraceAttach = 16;
constexpr uint32_t kPtraceSeize = 0x4206;

std::string_view bpf_command_name(uint32_t cmd) {
  switch (cmd) {
    case BPF_MAP_UPDATE_ELEM: return "BPF_MAP_UPDATE_ELEM";
    case BPF_MAP_DELETE_ELEM: return "BPF_MAP_DELETE_ELEM";
    case BPF_MAP_LOOKUP_AND_DELETE_ELEM: return "BPF_MAP_LOOKUP_AND_DELETE_ELEM";
    case BPF_MAP_FREEZE: return "BPF_MAP_FREEZE";
    case BPF_MAP_UPDATE_BATCH: return "BPF_MAP_UPDATE_BATCH";
    case BPF_MAP_DELETE_BATCH: return "BPF_MAP_DELETE_BATCH";
    case BPF_MAP_LOOKUP_AND_DELETE_BATCH: return "BPF_MAP_LOOKUP_AND_DELETE_BATCH";
    case BPF_MAP_GET_FD_BY_ID: return "BPF_MAP_GET_FD_BY_ID";
    case BPF_PROG_GET_FD_BY_ID: return "BPF_PROG_GET_FD_BY_ID";
    case BPF_LINK_GET_FD_BY_ID: return "BPF_LINK_GET_FD_BY_ID";
    case BPF_PROG_DETACH: return "BPF_PROG_DETACH";
    case BPF_LINK_DETACH: return "BPF_LINK_DETACH";
    case BPF_LINK_UPDATE: return "BPF_LINK_UPDATE";
    default: return {};
  }
}

}  // namespace

std::string_view selfguard_action_name(SelfGuardAction action) {
  switch (action) {
    case SelfGuardAction::kMapWrite: return "map_write";
    case SelfGuardAction::kObjectOpen: return "object_open";
    case SelfGuardAction::kDetach: return "detach";
    case SelfGuardAction::kLinkUpdate: return "link_update";
    case SelfGuardAction::kSignal: return "signal";
    case SelfGuardAction::kPtrace: return "ptrace";
    case SelfGuardAction::kMemoryWrite: return "memory_write";
    case SelfGuardAction::kMemoryRead: return "memory_read";
    case SelfGuardAction::kLinkDetached: return "link_detached";
    case SelfGuardAction::kLinkReplaced: return "link_replaced";
  }
  return "unknown";
}

std::string_view selfguard_object_name(SelfGuardObject object) {
  switch (object) {
    case SelfGuardObject::kNone: return {};
    case SelfGuardObject::kMap: return "map";
    case SelfGuardObject::kProg: return "prog";
    case SelfGuardObject::kLink: return "link";
  }
  return {};
}

std::string selfguard_command_name(const SelfGuardPayload& p) {
  switch (p.action) {
    case SelfGuardAction::kSignal: {
      const char* abbrev = p.command < 64 ? sigabbrev_np(static_cast<int>(p.command)) : nullptr;
      return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", p.command);
    }
    case SelfGuardAction::kPtrace:
      return p.command == kPtraceAttach  ? "PTRACE_ATTACH"
             : p.command == kPtraceSeize ? "PTRACE_SEIZE"
                                         : fmt::format("ptrace {}", p.command);
    case SelfGuardAction::kMemoryWrite: return "process_vm_writev";
    case SelfGuardAction::kMemoryRead: return "process_vm_readv";
    case SelfGuardAction::kLinkDetached:
    case SelfGuardAction::kLinkReplaced: return {};
    default: break;
  }
  std::string_view name = bpf_command_name(p.command);
  return name.empty() ? fmt::format("bpf {}", p.command) : std::string(name);
}

std::string selfguard_target(const SelfGuardPayload& p) {
  if (p.object == SelfGuardObject::kNone) return fmt::format("pid {}", p.target_tgid);
  if (p.object_name.empty()) return fmt::format("{} {}", selfguard_object_name(p.object), p.object_id);
  return fmt::format("{} {} (id {})", selfguard_object_name(p.object), p.object_name, p.object_id);
}

Result<Event> decode_selfguard(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_selfguard_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "self-protection record of {} bytes is shorter than {}",
                      record.size(), sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.action < ZTAI_SELFGUARD_MAP_WRITE || raw.action >= ZTAI_SELFGUARD_ACTION_MAX) {
    return make_error(ErrorCode::kInvalidArgument, "self-protection record of unknown action {}", raw.action);
  }
  if (raw.object > ZTAI_SELFGUARD_LINK) {
    return make_error(ErrorCode::kInvalidArgument, "self-protection record of unknown object kind {}", raw.object);
  }
  SelfGuardPayload p;
  p.action = static_cast<SelfGuardAction>(raw.action);
  p.object = static_cast<SelfGuardObject>(raw.object);
  p.target_tgid = raw.target_tgid;
  p.object_id = raw.object_id;
  p.command = raw.command;
  p.signal_code = raw.signal_code;
  p.signal_result = raw.signal_result;
  return Event{hdr, std::move(p)};
}

}  // namespace ztai
