// Typed payload of a network policy decision the kernel made (bpf/abi/policy.h): a connect or
// unconnected send denied, or in audit mode reported as what enforce would deny.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/common/ip_address.h"

namespace ztai {

enum class PolicyHook : uint8_t { kConnect4 = 1, kConnect6 = 2, kSendmsg4 = 3, kSendmsg6 = 4 };
// "connect4", "connect6", "sendmsg4", "sendmsg6".
std::string_view policy_hook_name(PolicyHook hook);

struct NetDenialPayload {
  uint32_t policy_id = 0;
  uint32_t generation = 0;
  uint16_t rule = 0;    // enum ztai_policy_rule or an egress.allow index
  PolicyHook hook = PolicyHook::kConnect4;
  bool audit = false;   // audit mode: the call went through
  uint8_t protocol = 0; // IPPROTO_TCP, IPPROTO_UDP
  IpAddress daddr;      // ::ffff:a.b.c.d reported as a.b.c.d
  uint16_t dport = 0;
  // Filled by the agent from the policies loaded in that generation (empty until then).
  std::string policy_name;
  std::string rule_name;
  std::string mode;
};

}  // namespace ztai
