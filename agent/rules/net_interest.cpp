#include "agent/rules/net_interest.h"

#include "bpf/abi/events.h"

namespace ztai::rules {

uint32_t net_skip_mask(const RuleSet& rules) {
  auto wanted = [&](int type) { return !rules.candidates(static_cast<EventType>(type)).empty(); };
  bool any_net = false;
  for (int t = ZTAI_EVENT_NET_CONNECT; t <= ZTAI_EVENT_NET_CLOSE; ++t) any_net = any_net || wanted(t);
  uint32_t skip = 0;
  for (int t = ZTAI_EVENT_NET_CONNECT; t <= ZTAI_EVENT_DNS_QUERY; ++t) {
    bool keep = wanted(t) || (t == ZTAI_EVENT_DNS && any_net);
    if (!keep) skip |= ZTAI_NET_SKIP_BIT(t);
  }
  return skip;
}

}  // namespace ztai::rules
