// A compiled, immutable rule set and its evaluation. Each field a rule set names gets an id;
// per event, a FieldCache extracts each id at most once, whichever rules and outputs ask for it.
// Rules are indexed by the event types their conditions allow, so an event only visits the
// rules that can match it.
#pragma once

#include "agent/common/path_pattern.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/fields/field_registry.h"
#include "agent/rules/responder.h"
#include "exporters/record.h"

namespace ztai::rules {

class FieldCache {
 public:
  explicit FieldCache(const std::vector<FieldRef>& fields);

  // Forgets the previous event's values; ctx must outlive the calls to get() that follow.
  void reset(const EventContext& ctx);
  const FieldValue& get(uint32_t id);

 private:
  const std::vector<FieldRef>& fields_;
  const EventContext* ctx_ = nullptr;
  std::vector<FieldValue> values_;
  std::vector<uint64_t> stamps_;  // values_[i] belongs to the event numbered stamps_[i]
  uint64_t event_ = 0;
};

class CompiledCondition {
 public:
  virtual ~CompiledCondition() = default;
  virtual bool eval(FieldCache& fields) const = 0;
};

// How outputs print a value: lists joined by commas, <NA> when the field does not apply.
std::string format_field_value(const FieldValue& v);

// `%proc.name` templates: literal text and field ids, rendered from the same cache.
struct OutputTemplate {
  struct Piece {
    std::string text;
    int64_t field = -1;  // a field id, or -1 for literal text
    int step = -1;       // sequence rules: `%seq.step[N].field` takes the field from step N's event
  };
  std::vector<Piece> pieces;

  std::string render(FieldCache& fields) const;
  // value(piece) gives the value of each field piece.
  template <typename Value>
  std::string render_with(Value&& value) const {
    std::string out;
    for (const Piece& p : pieces) {
      if (p.field < 0) {
        out += p.text;
      } else {
        out += format_field_value(value(p));
      }
    }
    return out;
  }
};

// Sequence rules (rules/README.md, "Sequence rules"): steps that must match in order, for the
// same key, within a window; a step may need a count of events or a sum of a field first.
enum class SequenceKey { kWorkload, kProcessTree, kProcess };
std::string_view sequence_key_name(SequenceKey key);

inline constexpr size_t kMaxSequenceSteps = 8;

struct SequenceStep {
  std::unique_ptr<CompiledCondition> condition;
  uint64_t count = 1;          // events that complete the step
  std::vector<uint32_t> sum;   // field ids added up per event (empty: events are counted)...
  uint64_t at_least = 0;       // ...until this total
  std::vector<uint32_t> capture;  // field ids kept from the event that completes the step

  bool threshold() const { return count > 1 || !sum.empty(); }
};

struct SequenceSpec {
  SequenceKey by = SequenceKey::kWorkload;
  uint64_t within_ns = 0;
  std::vector<SequenceStep> steps;
};

// What the sequence stage needs of one event that matched steps of a sequence rule; it is taken
// when the event is evaluated (the process table then describes the event's process) and applied
// later, in kernel-time order.
struct SequenceObservation {
  uint64_t boot_ns = 0;
  uint64_t order = 0;  // arrival order, for events with the same time
  uint32_t rule = 0;   // index in RuleSet::rules()
  uint32_t steps = 0;  // bit s: the event matched step s
  ProcKey proc;
  uint64_t cgroup_id = 0;
  std::string exec_id;          // of the acting process, for seq.key
  std::vector<ProcKey> lineage;  // by process_tree: the acting process, then its ancestors
  std::array<uint64_t, kMaxSequenceSteps> amount{};  // per matched step: the sum of its fields, or 1
  std::array<std::vector<FieldValue>, kMaxSequenceSteps> captured;  // per matched step: SequenceStep::capture
};

struct CompiledRule {
  std::string name;
  std::string desc;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  std::string source;
  std::unique_ptr<CompiledCondition> condition;
  OutputTemplate output;
  std::vector<uint32_t> output_fields;  // ids of the fields the output and condition name, in order
  // fd.name forms every match satisfies one of, for the kernel's file filter; nullopt: any path.
  std::optional<std::vector<PathPattern>> file_paths;
  std::vector<Action> actions;          // besides the alert
  // A sequence rule has no condition; the sequence stage raises its alerts.
  std::unique_ptr<SequenceSpec> sequence;
};

enum class MatchMode { kAll, kFirst };

// Event types are indexed by their numeric value; the ABI enum is append-only and small.
inline constexpr size_t kMaxEventTypes = 256;

class RuleSet {
 public:
  RuleSet(std::vector<FieldRef> fields, std::vector<CompiledRule> rules,
          std::array<std::vector<uint32_t>, kMaxEventTypes> by_type);

  const std::vector<FieldRef>& fields() const { return fields_; }
  const std::vector<CompiledRule>& rules() const { return rules_; }
  // Enabled rules that can match an event of this type, in load order.
  const std::vector<uint32_t>& candidates(EventType type) const;

 private:
  std::vector<FieldRef> fields_;
  std::vector<CompiledRule> rules_;
  std::array<std::vector<uint32_t>, kMaxEventTypes> by_type_;
};

// Evaluates events against one rule set; owned by one thread.
class RuleEvaluator {
 public:
  RuleEvaluator(std::shared_ptr<const RuleSet> rules, MatchMode mode);

  // The rules that match, in load order (at most one with MatchMode::kFirst). Sequence rules are
  // not among them: the steps the event matches are in observations() until the next call.
  const std::vector<const CompiledRule*>& evaluate(const EventContext& ctx);
  std::vector<SequenceObservation>& observations() { return observations_; }
  // An alert for a rule evaluate() just returned, for the same event.
  Record alert(const CompiledRule& rule, const EventContext& ctx, std::string_view hostname);

  const RuleSet& rules() const { return *rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  MatchMode mode_;
  FieldCache cache_;
  std::vector<const CompiledRule*> matched_;
  std::vector<SequenceObservation> observations_;
  uint64_t order_ = 0;
  void observe(uint32_t index, const SequenceSpec& seq, const EventContext& ctx);
};

}  // namespace ztai::rules
