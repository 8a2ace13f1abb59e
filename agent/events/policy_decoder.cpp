#include "agent/events/policy_decoder.h"

#include <cstring>

#include "bpf/abi/policy.h"

namespace ztai {

std::string_view policy_hook_name(PolicyHook hook) {
  switch (hook) {
    case PolicyHook::kConnect4: return "connect4";
    case PolicyHook::kConnect6: return "connect6";
    case PolicyHook::kSendmsg4: return "sendmsg4";
    case PolicyHook::kSendmsg6: return "sendmsg6";
  }
  return "unknown";
}

Result<Event> decode_policy_denial(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_policy_denial_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "policy denial record of {} bytes is shorter than {}",
                      record.size(), sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.hook < ZTAI_HOOK_CONNECT4 || raw.hook > ZTAI_HOOK_SENDMSG6) {
    return make_error(ErrorCode::kInvalidArgument, "policy denial record with hook {}", raw.hook);
  }
  if (raw.verdict != ZTAI_VERDICT_DENIED && raw.verdict != ZTAI_VERDICT_AUDITED) {
    return make_error(ErrorCode::kInvalidArgument, "policy denial record with verdict {}", raw.verdict);
  }
  NetDenialPayload p;
  p.policy_id = raw.policy_id;
  p.generation = raw.generation;
  p.rule = raw.rule;
  p.hook = static_cast<PolicyHook>(raw.hook);
  p.audit = raw.verdict == ZTAI_VERDICT_AUDITED;
  p.protocol = raw.protocol;
  p.daddr = IpAddress::v6(raw.daddr).unmapped();
  p.dport = raw.dport;
  return Event{hdr, std::move(p)};
}

}  // namespace ztai
