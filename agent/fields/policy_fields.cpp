#include "agent/fields/policy_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

template <typename Get>
FieldValue of_denial(const EventContext& c, Get get) {
  const NetDenialPayload* d = c.event.as<NetDenialPayload>();
  return d ? FieldValue(get(*d)) : FieldValue();
}

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

void add_policy_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"policy.name", T::kString, "The WorkloadPolicy that decided (metadata.name); absent when unknown",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const NetDenialPayload* d = c.event.as<NetDenialPayload>();
            return d && !d->policy_name.empty() ? FieldValue(d->policy_name) : FieldValue();
          }});
  add(r, {"policy.rule", T::kString,
          "The policy rule that decided: egress.default (nothing allowed it), quarantine, or an allow rule's name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const NetDenialPayload* d = c.event.as<NetDenialPayload>();
            return d && !d->rule_name.empty() ? FieldValue(d->rule_name) : FieldValue();
          }});
  add(r, {"policy.action", T::kString, "What was done: deny (the call failed with EPERM) or audit (allowed, reported)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_denial(c, [](const NetDenialPayload& d) { return std::string(d.audit ? "audit" : "deny"); });
          }});
  add(r, {"policy.mode", T::kString, "The policy's mode: enforce or audit",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const NetDenialPayload* d = c.event.as<NetDenialPayload>();
            return d && !d->mode.empty() ? FieldValue(d->mode) : FieldValue();
          }});
  add(r, {"policy.hook", T::kString, "Where the kernel decided: connect4, connect6, sendmsg4, sendmsg6",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_denial(c, [](const NetDenialPayload& d) { return std::string(policy_hook_name(d.hook)); });
          }});
}

}  // namespace ztai
