// Compiles a merged rule document: macros and lists expanded, every field resolved and
// type-checked against the registry, exceptions folded into the conditions, outputs parsed, and
// rules indexed by event type. Every problem is reported, not only the first.
#pragma once

#include <memory>

#include "agent/fields/field_registry.h"
#include "agent/rules/diagnostic.h"
#include "agent/rules/rule_document.h"
#include "agent/rules/rule_set.h"

namespace ztai::rules {

// nullptr when diags holds errors (warnings alone do not fail).
std::shared_ptr<const RuleSet> compile_rules(const RuleDocument& doc, const FieldRegistry& registry,
                                             Diagnostics& diags);

// The numeric event type evt.type names ("execve" -> kExec), if the agent knows it.
std::optional<EventType> event_type_by_name(std::string_view name);

}  // namespace ztai::rules
