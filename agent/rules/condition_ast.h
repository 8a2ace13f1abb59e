// The syntax tree of a Falco-style condition, before macros, lists and fields are resolved.
// Every node keeps its offset in the condition text so errors can point at it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ztai::rules {

enum class Op {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kContains, kIContains, kStartsWith, kEndsWith, kGlob, kRegex,
  kIn, kIntersects, kPmatch,
  kExists,
};

std::string_view op_name(Op op);
std::optional<Op> parse_op(std::string_view word);
// in, intersects, pmatch: the right side is a list.
bool op_takes_list(Op op);

// A constant on the right of an operator, or one item of a list.
struct Value {
  std::string text;
  bool quoted = false;  // a bare word may name a list; a quoted one never does
  size_t offset = 0;
};

struct Node {
  enum class Kind { kAnd, kOr, kNot, kCompare, kMacro };

  Kind kind = Kind::kCompare;
  size_t offset = 0;
  std::vector<std::unique_ptr<Node>> children;  // and, or, not

  // kCompare: field op value(s). kMacro: name is in `field`.
  std::string field;
  Op op = Op::kExists;
  std::vector<Value> values;
  // The right side named a list without parentheses: `proc.name in shell_binaries`.
  bool bare_list = false;
};

using NodePtr = std::unique_ptr<Node>;

}  // namespace ztai::rules
