#include "agent/rules/rule_set.h"

#include <fmt/format.h>

namespace ztai::rules {

FieldCache::FieldCache(const std::vector<FieldRef>& fields)
    : fields_(fields), values_(fields.size()), stamps_(fields.size(), 0) {}

void FieldCache::reset(const EventContext& ctx) {
  ctx_ = &ctx;
  ++event_;
}

const FieldValue& FieldCache::get(uint32_t id) {
  if (stamps_[id] != event_) {
    values_[id] = fields_[id].extract(*ctx_);
    stamps_[id] = event_;
  }
  return values_[id];
}

std::string format_field_value(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "<NA>";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return fmt::format("{}", fmt::join(x, ","));
        } else {
          return fmt::format("{}", x);
        }
      },
      v);
}

std::string OutputTemplate::render(FieldCache& fields) const {
  std::string out;
  for (const Piece& p : pieces) {
    if (p.field < 0) {
      out += p.text;
    } else {
      out += format_field_value(fields.get(static_cast<uint32_t>(p.field)));
    }
  }
  return out;
}

RuleSet::RuleSet(std::vector<FieldRef> fields, std::vector<CompiledRule> rules,
                 std::array<std::vector<uint32_t>, kMaxEventTypes> by_type)
    : fields_(std::move(fields)), rules_(std::move(rules)), by_type_(std::move(by_type)) {}

const std::vector<uint32_t>& RuleSet::candidates(EventType type) const {
  static const std::vector<uint32_t> kNone;
  auto i = static_cast<size_t>(type);
  return i < by_type_.size() ? by_type_[i] : kNone;
}

RuleEvaluator::RuleEvaluator(std::shared_ptr<const RuleSet> rules, MatchMode mode)
    : rules_(std::move(rules)), mode_(mode), cache_(rules_->fields()) {}

const std::vector<const CompiledRule*>& RuleEvaluator::evaluate(const EventContext& ctx) {
  matched_.clear();
  const std::vector<uint32_t>& candidates = rules_->candidates(ctx.event.hdr.type);
  if (candidates.empty()) return matched_;
  cache_.reset(ctx);
  for (uint32_t i : candidates) {
    const CompiledRule& rule = rules_->rules()[i];
    if (!rule.condition->eval(cache_)) continue;
    matched_.push_back(&rule);
    if (mode_ == MatchMode::kFirst) break;
  }
  return matched_;
}

Record RuleEvaluator::alert(const CompiledRule& rule, const EventContext& ctx, std::string_view hostname) {
  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = ctx.clock.to_unix_ns(ctx.event.hdr.boot_ns);
  r.rule = rule.name;
  r.priority = rule.priority;
  r.source = rule.source;
  r.hostname = std::string(hostname);
  r.output = rule.output.render(cache_);
  r.tags = rule.tags;
  r.fields.reserve(rule.output_fields.size());
  for (uint32_t id : rule.output_fields) r.fields.emplace_back(rules_->fields()[id].name(), cache_.get(id));
  return r;
}

}  // namespace ztai::rules
