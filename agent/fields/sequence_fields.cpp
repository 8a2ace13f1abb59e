#include "agent/fields/sequence_fields.h"

#include <stdexcept>

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

bool is_sequence_field(std::string_view name) { return name.starts_with("seq."); }

void add_sequence_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"seq.by", T::kString, "Sequence rules: what the sequence was kept for (workload, process_tree, process)",
          [](const EventContext& c, std::string_view) { return c.sequence ? FieldValue(c.sequence->by) : FieldValue(); }});
  add(r, {"seq.key", T::kString,
          "Sequence rules: the cgroup id (by workload) or the exec id of the process (by process, process_tree) the "
          "sequence was kept for",
          [](const EventContext& c, std::string_view) { return c.sequence ? FieldValue(c.sequence->key) : FieldValue(); }});
  add(r, {"seq.duration_ms", T::kUInt, "Sequence rules: milliseconds from the sequence's first event to the last",
          [](const EventContext& c, std::string_view) {
            return c.sequence ? FieldValue((c.sequence->last_ns - c.sequence->first_ns) / 1'000'000) : FieldValue();
          }});
  add(r, {"seq.count", T::kUInt, "Sequence rules: events the last step counted (1 without count or sum)",
          [](const EventContext& c, std::string_view) { return c.sequence ? FieldValue(c.sequence->count) : FieldValue(); }});
  add(r, {"seq.sum", T::kUInt, "Sequence rules: the sum of the last step's `sum:` fields over its events",
          [](const EventContext& c, std::string_view) {
            return c.sequence && c.sequence->sum ? FieldValue(c.sequence->sum) : FieldValue();
          }});
  add(r, {"seq.steps", T::kUInt, "Sequence rules: the number of steps",
          [](const EventContext& c, std::string_view) {
            return c.sequence ? FieldValue(uint64_t{c.sequence->steps}) : FieldValue();
          }});
}

}  // namespace ztai
