// Which network, DNS and blind-spot events a rule set can use, as the kernel's skip mask: the
// kernel drops (and counts) records of a type no rule can match.
#pragma once

#include <cstdint>

#include "agent/rules/rule_set.h"

namespace ztai::rules {

// ZTAI_NET_SKIP_BIT of each type no rule can match. dns is kept whenever a rule can match a
// network event, since its answers name their addresses (net.dns.names).
uint32_t net_skip_mask(const RuleSet& rules);

}  // namespace ztai::rules
