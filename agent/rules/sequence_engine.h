// The stateful stage: applies the steps that events matched (RuleEvaluator::observations) to
// per-key sequence state in kernel-time order, and raises an alert when a sequence completes.
// State is bounded: a cap on keys (least recently used evicted, counted), a few partial sequences
// per key, and windows that expire.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/fields/sequence_fields.h"
#include "agent/pipeline/metrics.h"
#include "agent/rules/reorder_buffer.h"
#include "agent/rules/rule_set.h"

namespace ztai::rules {

struct SequenceSettings {
  uint64_t reorder_window_ns = 50'000'000;  // how late an event may arrive and still be in order
  size_t max_states = 16384;                // (rule, key) pairs with state
  size_t max_buffered = 65536;              // observations waiting in the reorder window
};

struct SequenceAlert {
  const CompiledRule* rule = nullptr;
  Record alert;
  ProcKey proc;  // the process of the event that completed the sequence (for actions)
  uint64_t cgroup_id = 0;
  uint64_t boot_ns = 0;
  uint64_t order = 0;  // that event's arrival order (RuleEvaluator's numbering)
};

class SequenceEngine {
 public:
  // processes and clock serve seq.* extraction; they must outlive the engine.
  SequenceEngine(std::shared_ptr<const RuleSet> rules, SequenceSettings settings, MetricsRegistry& metrics,
                 const ProcessTable& processes, const BootClock& clock, std::string hostname);

  // Takes the observations of one event (emptying the vector) and applies those whose window has
  // passed; now_boot_ns is that event's time or the clock.
  void push(std::vector<SequenceObservation>& observations, uint64_t now_boot_ns, std::vector<SequenceAlert>& out);
  // Applies what waited longer than the reorder window; called between events.
  void release(uint64_t now_boot_ns, std::vector<SequenceAlert>& out);
  // Applies everything waiting (before a rule reload, at the end).
  void flush(std::vector<SequenceAlert>& out);

  size_t states() const { return states_.size(); }
  size_t buffered() const { return buffer_.size(); }

 private:
  // A partial sequence: the steps done so far and what the current step has counted.
  struct Instance {
    uint64_t start_ns = 0;
    uint32_t stage = 1;  // the step it waits for
    uint64_t events = 0;
    uint64_t total = 0;
    std::array<std::vector<FieldValue>, kMaxSequenceSteps> captured;
  };
  // A threshold on the first step counts in sub-windows, so the count covers the last `within`
  // (to 1/kBuckets of it) without keeping every event.
  static constexpr size_t kBuckets = 16;
  struct Head {
    std::array<uint64_t, kBuckets> epoch{};
    std::array<uint64_t, kBuckets> events{};
    std::array<uint64_t, kBuckets> total{};
    std::array<uint64_t, kBuckets> first{};  // time of the bucket's earliest event
  };
  struct Key {
    uint32_t rule = 0;
    uint64_t a = 0, b = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<uint64_t>{}(k.a * 0x9e3779b97f4a7c15ull ^ (k.b << 17) ^ k.rule);
    }
  };
  struct State {
    std::string key_text;
    uint64_t touched_ns = 0;
    std::vector<Instance> instances;  // oldest first
    std::unique_ptr<Head> head;
    std::list<Key>::iterator lru;
  };
  // Partial sequences per key: a new first step while older ones wait starts another, up to this.
  static constexpr size_t kMaxInstances = 4;

  void apply(SequenceObservation& o, std::vector<SequenceAlert>& out);
  State* find(const Key& k, uint64_t now_ns);
  State& find_or_add(const Key& k, uint64_t now_ns, const SequenceObservation& o);
  void erase(std::unordered_map<Key, State, KeyHash>::iterator it);
  void expire(State& st, const SequenceSpec& spec, uint64_t now_ns);
  void sweep(uint64_t now_ns);
  SequenceAlert make_alert(const CompiledRule& rule, const SequenceObservation& o, Instance& done,
                           const SequenceMatch& match);
  void update_gauges();

  std::shared_ptr<const RuleSet> rules_;
  SequenceSettings settings_;
  const ProcessTable& processes_;
  const BootClock& clock_;
  std::string hostname_;
  ReorderBuffer<SequenceObservation> buffer_;
  std::vector<SequenceObservation> ready_;
  std::unordered_map<Key, State, KeyHash> states_;
  std::list<Key> lru_;  // most recently touched first
  uint64_t max_within_ns_ = 0;
  uint64_t late_seen_ = 0, forced_seen_ = 0;

  Gauge& states_gauge_;
  Gauge& buffered_gauge_;
  Counter& evicted_;
  Counter& expired_;
  Counter& dropped_;
  Counter& completed_;
  Counter& late_;
  Counter& forced_;
};

}  // namespace ztai::rules
