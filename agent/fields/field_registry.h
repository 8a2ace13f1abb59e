// Every field that rules and outputs can name: its type, a description for `ztai fields`, and
// how to extract it from an event. Domains (process, file, net, llm...) each add their fields.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/clock.h"
#include "agent/common/result.h"
#include "agent/detect/chain/causal_chains.h"
#include "agent/events/event.h"
#include "agent/fields/field_value.h"
#include "agent/identity/process_table.h"
#include "agent/identity/exe_hasher.h"
#include "agent/identity/workload.h"
#include "agent/protocols/dns/dns_names.h"

namespace ztai {

struct SequenceMatch;

enum class FieldType { kString, kInt, kUInt, kBool, kStringList };

std::string_view field_type_name(FieldType type);

// What an extractor can see: the event, the acting process (after the event was applied to the
// table), and the table for lineage.
struct EventContext {
  const Event& event;
  const ProcessInfo* proc;
  const ProcessTable& processes;
  const BootClock& clock;
  // The acting workload; nullptr only where no resolver runs (workload fields are then absent).
  const WorkloadIdentity* workload = nullptr;
  // Addresses learnt from DNS answers, for net.dns.names; nullptr where no table is kept.
  const dns::NameTable* dns_names = nullptr;
  // SHA-256 of executables, for proc.exe_sha256; nullptr when hashing is off.
  const ExeHasher* exe_hashes = nullptr;
  // The tool call this action is linked to (agent/detect/chain), for chain.*; nullptr when none.
  const ChainLink* chain = nullptr;
  // A completed sequence rule (agent/rules/sequence_engine), for seq.*; nullptr otherwise.
  const SequenceMatch* sequence = nullptr;
};

using FieldExtractor = FieldValue (*)(const EventContext& ctx, std::string_view index);

enum class FieldIndex {
  kNone,      // proc.name
  kOptional,  // proc.aname or proc.aname[2]
  kRequired,  // k8s.pod.labels[app]
};

struct FieldInfo {
  std::string name;
  FieldType type;
  std::string description;
  FieldExtractor extract;
  FieldIndex index = FieldIndex::kNone;
};

// A field as a rule or output names it ("proc.aname[2]"), checked against the registry.
struct FieldRef {
  const FieldInfo* info = nullptr;
  std::string index;  // empty when none was given
  // The type of the extracted value: a field with an optional index yields, without one, the
  // list of its values at every index (proc.aname: every ancestor's name).
  FieldType type = FieldType::kString;

  std::string name() const;  // as written: "proc.aname[2]"
  FieldValue extract(const EventContext& ctx) const { return info->extract(ctx, index); }
};

class FieldRegistry {
 public:
  // Rejects a name that is already registered.
  Status add(FieldInfo field);
  const FieldInfo* find(std::string_view name) const;
  // Parses "name" or "name[index]"; fails on an unknown field or an index the field does not take.
  Result<FieldRef> resolve(std::string_view text) const;
  std::vector<const FieldInfo*> all() const;

 private:
  std::map<std::string, FieldInfo, std::less<>> fields_;
};

// The registry with every built-in field domain.
const FieldRegistry& builtin_fields();

// Extracts the named fields, in order, skipping those that do not apply to the event.
FieldList extract_fields(const FieldRegistry& registry, const EventContext& ctx,
                         const std::vector<std::string>& names);

// Names resolved once (unknown ones left out), for extraction on every event without parsing
// names and searching the registry each time.
using FieldSelection = std::vector<std::pair<std::string, FieldRef>>;
FieldSelection select_fields(const FieldRegistry& registry, const std::vector<std::string>& names);
FieldList extract_fields(const EventContext& ctx, const FieldSelection& selection);

}  // namespace ztai
