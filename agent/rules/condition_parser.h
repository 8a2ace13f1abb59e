// Falco's condition grammar: `not` binds tighter than `and`, which binds tighter than `or`;
// a term is a parenthesised condition, `field op value`, `field in (a, b)` or a macro name.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "agent/rules/condition_ast.h"

namespace ztai::rules {

// Where in the condition text something is wrong, and what.
struct ConditionError {
  size_t offset = 0;
  std::string token;  // the text at offset, used to find it in the rule file
  std::string message;
};

// Bounds that keep hostile input from exhausting the stack or memory.
inline constexpr size_t kMaxConditionBytes = 256 * 1024;
inline constexpr size_t kMaxNesting = 128;
inline constexpr size_t kMaxListItems = 100'000;

std::variant<NodePtr, ConditionError> parse_condition(std::string_view text);

}  // namespace ztai::rules
