#include "agent/rules/sequence_engine.h"

#include <algorithm>

#include <fmt/format.h>

namespace ztai::rules {
namespace {

bool reached(const SequenceStep& step, uint64_t events, uint64_t total) {
  return step.sum.empty() ? events >= step.count : total >= step.at_least;
}

const FieldValue& value_in(const SequenceStep& step, const std::vector<FieldValue>& captured, uint32_t id) {
  static const FieldValue kNone;
  for (size_t j = 0; j < step.capture.size() && j < captured.size(); ++j) {
    if (step.capture[j] == id) return captured[j];
  }
  return kNone;
}

}  // namespace

SequenceEngine::SequenceEngine(std::shared_ptr<const RuleSet> rules, SequenceSettings settings,
                               MetricsRegistry& metrics, const ProcessTable& processes, const BootClock& clock,
                               std::string hostname)
    : rules_(std::move(rules)),
      settings_(settings),
      processes_(processes),
      clock_(clock),
      hostname_(std::move(hostname)),
      buffer_(settings.reorder_window_ns, settings.max_buffered),
      states_gauge_(metrics.gauge("ztai_sequence_states", "Sequence rule keys (rule, workload or process) with state")),
      buffered_gauge_(metrics.gauge("ztai_sequence_reorder_buffered", "Events waiting in the reorder window")),
      evicted_(metrics.counter("ztai_sequence_states_evicted_total",
                               "Sequence state dropped at the rules.sequence_max_states cap (least recently used)")),
      expired_(metrics.counter("ztai_sequence_expired_total", "Partial sequences whose window ended before completion")),
      dropped_(metrics.counter("ztai_sequence_partials_dropped_total",
                               "Partial sequences dropped for a newer one (at most 4 per rule and key)")),
      completed_(metrics.counter("ztai_sequence_completed_total", "Sequences that completed (each raises an alert)")),
      late_(metrics.counter("ztai_sequence_reorder_late_total",
                            "Events that arrived after the reorder window had passed them (applied out of order)")),
      forced_(metrics.counter("ztai_sequence_reorder_forced_total",
                              "Events applied before their reorder window passed: the buffer was full")) {
  for (const CompiledRule& r : rules_->rules()) {
    if (r.sequence) max_within_ns_ = std::max(max_within_ns_, r.sequence->within_ns);
  }
}

void SequenceEngine::push(std::vector<SequenceObservation>& observations, uint64_t now_boot_ns,
                          std::vector<SequenceAlert>& out) {
  for (SequenceObservation& o : observations) buffer_.push(std::move(o), ready_);
  observations.clear();
  release(now_boot_ns, out);
}

void SequenceEngine::release(uint64_t now_boot_ns, std::vector<SequenceAlert>& out) {
  buffer_.release(now_boot_ns, ready_);
  for (SequenceObservation& o : ready_) apply(o, out);
  ready_.clear();
  sweep(now_boot_ns);
  update_gauges();
}

void SequenceEngine::flush(std::vector<SequenceAlert>& out) {
  buffer_.flush(ready_);
  for (SequenceObservation& o : ready_) apply(o, out);
  ready_.clear();
  update_gauges();
}

void SequenceEngine::update_gauges() {
  states_gauge_.set(static_cast<int64_t>(states_.size()));
  buffered_gauge_.set(static_cast<int64_t>(buffer_.size()));
  if (buffer_.late() != late_seen_) late_.inc(buffer_.late() - std::exchange(late_seen_, buffer_.late()));
  if (buffer_.forced() != forced_seen_) forced_.inc(buffer_.forced() - std::exchange(forced_seen_, buffer_.forced()));
}

SequenceEngine::State* SequenceEngine::find(const Key& k, uint64_t now_ns) {
  auto it = states_.find(k);
  if (it == states_.end()) return nullptr;
  it->second.touched_ns = std::max(it->second.touched_ns, now_ns);
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

SequenceEngine::State& SequenceEngine::find_or_add(const Key& k, uint64_t now_ns, const SequenceObservation& o) {
  if (State* st = find(k, now_ns)) return *st;
  while (!states_.empty() && states_.size() >= settings_.max_states) {
    evicted_.inc();
    erase(states_.find(lru_.back()));
  }
  lru_.push_front(k);
  State& st = states_[k];
  st.lru = lru_.begin();
  st.touched_ns = now_ns;
  st.key_text = rules_->rules()[k.rule].sequence->by == SequenceKey::kWorkload ? std::to_string(o.cgroup_id)
                                                                               : o.exec_id;
  return st;
}

void SequenceEngine::erase(std::unordered_map<Key, State, KeyHash>::iterator it) {
  lru_.erase(it->second.lru);
  states_.erase(it);
}

void SequenceEngine::expire(State& st, const SequenceSpec& spec, uint64_t now_ns) {
  auto gone = std::remove_if(st.instances.begin(), st.instances.end(),
                             [&](const Instance& i) { return now_ns > i.start_ns + spec.within_ns; });
  expired_.inc(static_cast<uint64_t>(st.instances.end() - gone));
  st.instances.erase(gone, st.instances.end());
}

// Keys untouched for longer than the longest window hold nothing that can still complete.
void SequenceEngine::sweep(uint64_t now_ns) {
  while (!lru_.empty()) {
    auto it = states_.find(lru_.back());
    if (it->second.touched_ns + max_within_ns_ >= now_ns) break;
    expired_.inc(it->second.instances.size());
    erase(it);
  }
}

void SequenceEngine::apply(SequenceObservation& o, std::vector<SequenceAlert>& out) {
  const CompiledRule& rule = rules_->rules()[o.rule];
  const SequenceSpec& spec = *rule.sequence;
  const size_t last = spec.steps.size() - 1;
  uint64_t now = o.boot_ns;
  bool fired = false;

  auto key_of = [&](const ProcKey& p) { return Key{o.rule, p.tgid, p.start_ticks}; };
  Key own = spec.by == SequenceKey::kWorkload ? Key{o.rule, o.cgroup_id, 0} : key_of(o.proc);

  // Later steps first, so that an event matching the first step does not also advance the
  // sequence it starts.
  if (o.steps & ~1u) {
    std::vector<Key> keys;
    if (spec.by == SequenceKey::kProcessTree) {
      for (const ProcKey& p : o.lineage) keys.push_back(key_of(p));
    } else {
      keys.push_back(own);
    }
    for (const Key& k : keys) {
      State* st = find(k, now);
      if (!st) continue;
      expire(*st, spec, now);
      for (size_t n = 0; n < st->instances.size();) {
        Instance& inst = st->instances[n];
        uint32_t s = inst.stage;
        bool done = false;
        if (o.steps & (1u << s)) {
          const SequenceStep& step = spec.steps[s];
          inst.events += 1;
          inst.total += o.amount[s];
          if (reached(step, inst.events, inst.total)) {
            inst.captured[s] = o.captured[s];
            if (s == last) {
              done = true;
            } else {
              inst.stage = s + 1;
              inst.events = inst.total = 0;
            }
          }
        }
        if (!done) {
          ++n;
          continue;
        }
        if (!fired) {
          SequenceMatch m{std::string(sequence_key_name(spec.by)), st->key_text, inst.start_ns, now, inst.events,
                          spec.steps[s].sum.empty() ? 0 : inst.total, static_cast<uint32_t>(spec.steps.size())};
          out.push_back(make_alert(rule, o, inst, m));
          fired = true;
        }
        // Every partial sequence this event completes ends with the one alert.
        st->instances.erase(st->instances.begin() + static_cast<ptrdiff_t>(n));
      }
    }
  }

  if (!(o.steps & 1u)) return;
  const SequenceStep& first = spec.steps[0];
  State& st = find_or_add(own, now, o);
  uint64_t start = now, events = 1, total = o.amount[0];
  if (first.threshold()) {
    if (!st.head) st.head = std::make_unique<Head>();
    Head& h = *st.head;
    uint64_t width = std::max<uint64_t>(spec.within_ns / kBuckets, 1);
    uint64_t epoch = now / width + 1;  // 0 marks an unused bucket
    size_t b = epoch % kBuckets;
    if (h.epoch[b] < epoch) {
      h.epoch[b] = epoch;
      h.events[b] = h.total[b] = 0;
      h.first[b] = now;
    }
    h.first[b] = std::min(h.first[b], now);
    h.events[b] += 1;
    h.total[b] += o.amount[0];
    events = total = 0;
    start = now;
    for (size_t j = 0; j < kBuckets; ++j) {
      if (h.epoch[j] == 0 || h.epoch[j] + kBuckets <= epoch) continue;
      events += h.events[j];
      total += h.total[j];
      start = std::min(start, h.first[j]);
    }
    if (!reached(first, events, total)) return;
    st.head.reset();  // the next alert needs a full count again
  }
  if (last == 0) {
    if (fired) return;
    Instance inst;
    inst.start_ns = start;
    inst.captured[0] = std::move(o.captured[0]);
    SequenceMatch m{std::string(sequence_key_name(spec.by)), st.key_text, start, now, events,
                    first.sum.empty() ? 0 : total, 1};
    out.push_back(make_alert(rule, o, inst, m));
    return;
  }
  expire(st, spec, now);
  // A newer first step with nothing counted after the previous one replaces it: its window ends
  // later and it has lost nothing.
  if (!st.instances.empty()) {
    Instance& newest = st.instances.back();
    if (newest.stage == 1 && newest.events == 0) {
      newest.start_ns = start;
      newest.captured[0] = std::move(o.captured[0]);
      return;
    }
  }
  if (st.instances.size() >= kMaxInstances) {
    dropped_.inc();
    st.instances.erase(st.instances.begin());
  }
  Instance& inst = st.instances.emplace_back();
  inst.start_ns = start;
  inst.captured[0] = std::move(o.captured[0]);
}

SequenceAlert SequenceEngine::make_alert(const CompiledRule& rule, const SequenceObservation& o, Instance& done,
                                         const SequenceMatch& match) {
  completed_.inc();
  const SequenceSpec& spec = *rule.sequence;
  const size_t last = spec.steps.size() - 1;
  const std::vector<FieldRef>& fields = rules_->fields();
  // seq.* are registry fields read from a context that holds only the match.
  static const Event kNoEvent{};
  EventContext ctx{kNoEvent, nullptr, processes_, clock_};
  ctx.sequence = &match;
  auto value = [&](uint32_t id, int step) -> FieldValue {
    if (step < 0 && is_sequence_field(fields[id].info->name)) return fields[id].extract(ctx);
    size_t s = step < 0 ? last : static_cast<size_t>(step);
    return value_in(spec.steps[s], done.captured[s], id);
  };

  SequenceAlert a;
  a.rule = &rule;
  a.proc = o.proc;
  a.cgroup_id = o.cgroup_id;
  a.boot_ns = o.boot_ns;
  a.order = o.order;
  Record& r = a.alert;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = clock_.to_unix_ns(o.boot_ns);
  r.rule = rule.name;
  r.priority = rule.priority;
  r.source = rule.source;
  r.hostname = hostname_;
  r.tags = rule.tags;
  r.output = rule.output.render_with(
      [&](const OutputTemplate::Piece& p) { return value(static_cast<uint32_t>(p.field), p.step); });
  for (uint32_t id : rule.output_fields) r.fields.emplace_back(fields[id].name(), value(id, -1));
  for (const OutputTemplate::Piece& p : rule.output.pieces) {
    if (p.field < 0 || p.step < 0) continue;
    auto id = static_cast<uint32_t>(p.field);
    std::string name = fmt::format("seq.step[{}].{}", p.step, fields[id].name());
    bool listed = std::any_of(r.fields.begin(), r.fields.end(), [&](const auto& f) { return f.first == name; });
    if (!listed) r.fields.emplace_back(std::move(name), value(id, p.step));
  }
  return a;
}

}  // namespace ztai::rules
