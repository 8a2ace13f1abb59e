// Typed payload of a self-protection record (bpf/abi/selfguard.h): another process acted on the
// agent's BPF objects or on the agent's process; or the agent found one of its links detached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ztai {

enum class SelfGuardAction : uint8_t {
  // Seen by the kernel as the call starts (values of enum ztai_selfguard_action).
  kMapWrite = 1,
  kObjectOpen = 2,
  kDetach = 3,
  kLinkUpdate = 4,
  kSignal = 5,
  kPtrace = 6,
  kMemoryWrite = 7,
  kMemoryRead = 8,
  // Found by the agent's periodic check of its links; the actor is unknown.
  kLinkDetached = 64,
  kLinkReplaced = 65,
};

enum class SelfGuardObject : uint8_t { kNone = 0, kMap = 1, kProg = 2, kLink = 3 };

// "map_write", "object_open", "detach", "link_update", "signal", "ptrace", "memory_write",
// "memory_read", "link_detached", "link_replaced".
std::string_view selfguard_action_name(SelfGuardAction action);
// "map", "prog", "link"; empty for kNone.
std::string_view selfguard_object_name(SelfGuardObject object);

struct SelfGuardPayload {
  SelfGuardAction action = SelfGuardAction::kMapWrite;
  SelfGuardObject object = SelfGuardObject::kNone;
  uint32_t target_tgid = 0;  // the agent
  uint32_t object_id = 0;
  uint32_t command = 0;      // bpf(2) command, signal number or ptrace request
  int32_t signal_code = 0;   // si_code
  int32_t signal_result = 0;
  // Filled by the agent: the name of its map, program or link (empty until then).
  std::string object_name;
};

// The call as the man pages name it: "BPF_MAP_UPDATE_ELEM", "SIGTERM", "PTRACE_SEIZE",
// "process_vm_writev"; a number when it has no name here.
std::string selfguard_command_name(const SelfGuardPayload& p);
// What was acted on: "map net_skip (id 57)", "link 12", "pid 4242".
std::string selfguard_target(const SelfGuardPayload& p);

}  // namespace ztai
