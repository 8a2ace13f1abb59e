#include "agent/fields/selfguard_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

template <typename Get>
FieldValue of_selfguard(const EventContext& c, Get get) {
  const SelfGuardPayload* p = c.event.as<SelfGuardPayload>();
  return p ? get(*p) : FieldValue();
}

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

void add_selfguard_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"selfguard.action", T::kString,
          "What another process did to the agent: map_write, object_open, detach, link_update (bpf(2) on the "
          "agent's maps, programs or links), signal, ptrace, memory_write, memory_read; or what the agent's own "
          "check found: link_detached, link_replaced",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_selfguard(c, [](const SelfGuardPayload& p) {
              return FieldValue(std::string(selfguard_action_name(p.action)));
            });
          }});
  add(r, {"selfguard.target", T::kString,
          "What was acted on: the agent's map, program or link (\"map net_skip (id 57)\"), or the agent's pid "
          "(\"pid 4242\")",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_selfguard(c, [](const SelfGuardPayload& p) { return FieldValue(selfguard_target(p)); });
          }});
  add(r, {"selfguard.command", T::kString,
          "The call: a bpf(2) command (BPF_MAP_UPDATE_ELEM...), the signal (SIGTERM...), the ptrace request "
          "(PTRACE_ATTACH, PTRACE_SEIZE), process_vm_writev or process_vm_readv",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_selfguard(c, [](const SelfGuardPayload& p) {
              std::string name = selfguard_command_name(p);
              return name.empty() ? FieldValue() : FieldValue(std::move(name));
            });
          }});
  add(r, {"selfguard.object_id", T::kUInt, "The kernel's id of the agent's map, program or link; absent otherwise",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_selfguard(c, [](const SelfGuardPayload& p) {
              return p.object == SelfGuardObject::kNone ? FieldValue() : FieldValue(uint64_t{p.object_id});
            });
          }});
  add(r, {"selfguard.signal_code", T::kInt,
          "signal: the si_code, 0 (SI_USER) for kill(2), -6 (SI_TKILL) for tgkill(2), 128 (SI_KERNEL) when the "
          "kernel sent it",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_selfguard(c, [](const SelfGuardPayload& p) {
              return p.action == SelfGuardAction::kSignal ? FieldValue(int64_t{p.signal_code}) : FieldValue();
            });
          }});
}

}  // namespace ztai
