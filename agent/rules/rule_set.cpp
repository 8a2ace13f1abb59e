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
  return render_with([&](const Piece& p) -> const FieldValue& { return fields.get(static_cast<uint32_t>(p.field)); });
}

std::string_view sequence_key_name(SequenceKey key) {
  switch (key) {
    case SequenceKey::kWorkload: return "workload";
    case SequenceKey::kProcessTree: return "process_tree";
    case SequenceKey::kProcess: return "process";
  }
  return "workload";
}

namespace {

// Kept values wait in sequence state for up to the window: long strings are cut.
constexpr size_t kMaxCapturedText = 512;

FieldValue captured(const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v); s && s->size() > kMaxCapturedText) {
    return s->substr(0, kMaxCapturedText) + "...";
  }
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    std::vector<std::string> out;
    size_t total = 0;
    for (const std::string& x : *l) {
      if (total + x.size() > kMaxCapturedText) {
        out.push_back("...");
        break;
      }
      total += x.size();
      out.push_back(x);
    }
    return out;
  }
  return v;
}

uint64_t amount_of(const FieldValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i > 0 ? static_cast<uint64_t>(*i) : 0;
  return 0;
}

// Deep enough for a shell, an interpreter and their children; the causal chains search as deep.
constexpr size_t kMaxLineage = 8;

}  // namespace

void RuleEvaluator::observe(uint32_t index, const SequenceSpec& seq, const EventContext& ctx) {
  uint32_t mask = 0;
  for (size_t s = 0; s < seq.steps.size(); ++s) {
    if (seq.steps[s].condition->eval(cache_)) mask |= 1u << s;
  }
  if (!mask) return;
  SequenceObservation& o = observations_.emplace_back();
  o.boot_ns = ctx.event.hdr.boot_ns;
  o.order = ++order_;
  o.rule = index;
  o.steps = mask;
  o.proc = ctx.event.hdr.proc;
  o.cgroup_id = ctx.event.hdr.cgroup_id;
  if (ctx.proc) o.exec_id = ctx.proc->exec_id;
  if (seq.by == SequenceKey::kProcessTree) {
    o.lineage.push_back(o.proc);
    if (ctx.proc) {
      for (const ProcessInfo* a : ctx.processes.ancestors(*ctx.proc, kMaxLineage)) o.lineage.push_back(a->key);
    }
  }
  for (size_t s = 0; s < seq.steps.size(); ++s) {
    if (!(mask & (1u << s))) continue;
    const SequenceStep& step = seq.steps[s];
    uint64_t amount = step.sum.empty() ? 1 : 0;
    for (uint32_t id : step.sum) amount += amount_of(cache_.get(id));
    o.amount[s] = amount;
    o.captured[s].reserve(step.capture.size());
    for (uint32_t id : step.capture) o.captured[s].push_back(captured(cache_.get(id)));
  }
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
  observations_.clear();
  const std::vector<uint32_t>& candidates = rules_->candidates(ctx.event.hdr.type);
  if (candidates.empty()) return matched_;
  cache_.reset(ctx);
  bool stateless_done = false;
  for (uint32_t i : candidates) {
    const CompiledRule& rule = rules_->rules()[i];
    if (rule.sequence) {
      observe(i, *rule.sequence, ctx);
      continue;
    }
    if (stateless_done || !rule.condition->eval(cache_)) continue;
    matched_.push_back(&rule);
    // The first match ends the stateless rules; sequence rules still see the event.
    if (mode_ == MatchMode::kFirst) stateless_done = true;
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
