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

// `%proc.name` templates: literal text and field ids, rendered from the same cache.
struct OutputTemplate {
  struct Piece {
    std::string text;
    int64_t field = -1;  // a field id, or -1 for literal text
  };
  std::vector<Piece> pieces;

  std::string render(FieldCache& fields) const;
};

// How outputs print a value: lists joined by commas, <NA> when the field does not apply.
std::string format_field_value(const FieldValue& v);

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

  // The rules that match, in load order (at most one with MatchMode::kFirst).
  const std::vector<const CompiledRule*>& evaluate(const EventContext& ctx);
  // An alert for a rule evaluate() just returned, for the same event.
  Record alert(const CompiledRule& rule, const EventContext& ctx, std::string_view hostname);

  const RuleSet& rules() const { return *rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  MatchMode mode_;
  FieldCache cache_;
  std::vector<const CompiledRule*> matched_;
};

}  // namespace ztai::rules
