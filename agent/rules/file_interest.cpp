#include "agent/rules/file_interest.h"

#include <algorithm>
#include <set>

namespace ztai::rules {

FileInterest file_interest_of(const RuleSet& rules) {
  FileInterest interest;
  std::set<uint32_t> seen;
  for (auto t = static_cast<uint16_t>(EventType::kOpen); t <= static_cast<uint16_t>(EventType::kMemfdCreate); ++t) {
    for (uint32_t index : rules.candidates(static_cast<EventType>(t))) {
      if (!seen.insert(index).second) continue;
      interest.enabled = true;
      const CompiledRule& rule = rules.rules()[index];
      if (!rule.file_paths) {
        interest.all_paths = true;
        continue;
      }
      for (const PathPattern& p : *rule.file_paths) {
        if (std::find(interest.patterns.begin(), interest.patterns.end(), p) == interest.patterns.end()) {
          interest.patterns.push_back(p);
        }
      }
    }
  }
  return interest;
}

}  // namespace ztai::rules
