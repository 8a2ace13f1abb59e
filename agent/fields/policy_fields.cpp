#include "agent/fields/policy_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

template <typename Get>
FieldValue of_denial(const EventContext& c, Get get) {
  const NetDenialPayload* d = c.event.as<NetDenialPayload>();
  return d ? FieldValue(get(*d)) : FieldValue();
}

// Both denial payloads name their policy, rule and mode the same way.
template <typename Get>
FieldValue of_any_denial(const EventContext& c, Get get) {
  if (const NetDenialPayload* d = c.event.as<NetDenialPayload>()) return get(*d);
  if (const GuardDenialPayload* d = c.event.as<GuardDenialPayload>()) return get(*d);
  return FieldValue();
}

template <typename Get>
FieldValue of_guard_denial(const EventContext& c, Get get) {
  const GuardDenialPayload* d = c.event.as<GuardDenialPayload>();
  return d ? get(*d) : FieldValue();
}

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

void add_policy_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"policy.name", T::kString, "The WorkloadPolicy that decided (metadata.name); absent when unknown",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_any_denial(c, [](const auto& d) {
              return d.policy_name.empty() ? FieldValue() : FieldValue(d.policy_name);
            });
          }});
  add(r, {"policy.rule", T::kString,
          "The policy rule that decided: egress.default (nothing allowed it), quarantine, or an allow rule's name; "
          "exec.default (no exec rule named the file), io_uring, or an exec, files or unix rule's name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_any_denial(c, [](const auto& d) {
              return d.rule_name.empty() ? FieldValue() : FieldValue(d.rule_name);
            });
          }});
  add(r, {"policy.action", T::kString,
          "What was done: deny (the call failed with EPERM, or for exec and io_uring the process was killed) or "
          "audit (allowed, reported)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_any_denial(c, [](const auto& d) { return FieldValue(std::string(d.audit ? "audit" : "deny")); });
          }});
  add(r, {"policy.mode", T::kString, "The policy's mode: enforce or audit",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_any_denial(c, [](const auto& d) { return d.mode.empty() ? FieldValue() : FieldValue(d.mode); });
          }});
  add(r, {"policy.hook", T::kString, "Where the kernel decided: connect4, connect6, sendmsg4, sendmsg6",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_denial(c, [](const NetDenialPayload& d) { return std::string(policy_hook_name(d.hook)); });
          }});
  add(r, {"policy.kind", T::kString,
          "What a process or file policy refused: exec, io_uring, unix_connect or file_open",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_guard_denial(c, [](const GuardDenialPayload& d) { return FieldValue(std::string(denial_kind_name(d.kind))); });
          }});
  add(r, {"policy.target", T::kString,
          "The file executed (as given to execve), the unix socket path, or the file opened; absent for io_uring",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_guard_denial(c, [](const GuardDenialPayload& d) { return d.path.empty() ? FieldValue() : FieldValue(d.path); });
          }});
}

}  // namespace ztai
