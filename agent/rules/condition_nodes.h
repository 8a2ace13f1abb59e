// The evaluators a condition compiles to: and/or/not, and one comparison per field type.
// Constants are parsed and checked here, once, so evaluation never fails.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/fields/field_registry.h"
#include "agent/rules/condition_ast.h"
#include "agent/rules/rule_set.h"

namespace ztai::rules {

using ConditionPtr = std::unique_ptr<CompiledCondition>;

ConditionPtr make_and(std::vector<ConditionPtr> children);
ConditionPtr make_or(std::vector<ConditionPtr> children);
ConditionPtr make_not(ConditionPtr child);

// `field op values` for a field of the given type: one value, or the items of a list for in,
// intersects and pmatch. Fails when the operator does not apply to the type or a constant does
// not parse (a number, a bool, a regex).
Result<ConditionPtr> make_compare(uint32_t field, FieldType type, Op op, const std::vector<std::string>& values);

}  // namespace ztai::rules
