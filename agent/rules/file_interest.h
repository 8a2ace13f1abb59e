// What a rule set needs from the kernel's file sensor: whether any rule can match a file event,
// and the paths those rules can match, so the kernel emits nothing else.
#pragma once

#include "agent/kernel/file_filter.h"
#include "agent/rules/rule_set.h"

namespace ztai::rules {

FileInterest file_interest_of(const RuleSet& rules);

}  // namespace ztai::rules
