// seq.*: what a completed sequence rule saw (agent/rules/sequence_engine): how many events its
// last step counted, the sum it reached, how long the sequence took and what it was keyed by.
// Only outputs of sequence rules can name them; a condition cannot (there is no sequence yet).
#pragma once

#include <cstdint>
#include <string>

#include "agent/fields/field_registry.h"

namespace ztai {

struct SequenceMatch {
  std::string by;        // workload, process_tree or process
  std::string key;       // the cgroup id, or the exec id of the process the sequence is kept for
  uint64_t first_ns = 0; // boot time of the sequence's first event
  uint64_t last_ns = 0;  // and of the event that completed it
  uint64_t count = 0;    // events the last step counted (1 without a threshold)
  uint64_t sum = 0;      // the sum the last step reached (its `sum:` fields), 0 without one
  uint32_t steps = 0;
};

void add_sequence_fields(FieldRegistry& registry);

// True for seq.* field names, which only sequence rule outputs may use.
bool is_sequence_field(std::string_view name);

}  // namespace ztai
