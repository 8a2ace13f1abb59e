#include "agent/rules/condition_nodes.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <unordered_set>

#include <re2/re2.h>

namespace ztai::rules {
namespace {

class AndNode : public CompiledCondition {
 public:
  explicit AndNode(std::vector<ConditionPtr> c) : children_(std::move(c)) {}
  bool eval(FieldCache& f) const override {
    for (const ConditionPtr& c : children_) {
      if (!c->eval(f)) return false;
    }
    return true;
  }

 private:
  std::vector<ConditionPtr> children_;
};

class OrNode : public CompiledCondition {
 public:
  explicit OrNode(std::vector<ConditionPtr> c) : children_(std::move(c)) {}
  bool eval(FieldCache& f) const override {
    for (const ConditionPtr& c : children_) {
      if (c->eval(f)) return true;
    }
    return false;
  }

 private:
  std::vector<ConditionPtr> children_;
};

class NotNode : public CompiledCondition {
 public:
  explicit NotNode(ConditionPtr c) : child_(std::move(c)) {}
  bool eval(FieldCache& f) const override { return !child_->eval(f); }

 private:
  ConditionPtr child_;
};

class ExistsNode : public CompiledCondition {
 public:
  explicit ExistsNode(uint32_t field) : field_(field) {}
  bool eval(FieldCache& f) const override { return !std::holds_alternative<std::monostate>(f.get(field_)); }

 private:
  uint32_t field_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// String operators. A list-valued field (proc.aname, proc.argv) matches when any element does,
// as Falco's proc.aname does; `!=` matches when no element is equal.
class StringNode : public CompiledCondition {
 public:
  StringNode(uint32_t field, Op op, std::string value) : field_(field), op_(op), value_(std::move(value)) {
    if (op_ == Op::kIContains) std::transform(value_.begin(), value_.end(), value_.begin(), lower);
  }
  StringNode(uint32_t field, Op op, StringSet set) : field_(field), op_(op), set_(std::move(set)) {}
  StringNode(uint32_t field, std::unique_ptr<RE2> re) : field_(field), op_(Op::kRegex), re_(std::move(re)) {}

  bool eval(FieldCache& f) const override {
    const FieldValue& v = f.get(field_);
    if (const auto* s = std::get_if<std::string>(&v)) return op_ == Op::kNe ? *s != value_ : match(*s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&v)) {
      if (op_ == Op::kNe) return std::none_of(list->begin(), list->end(), [&](const std::string& s) { return s == value_; });
      return std::any_of(list->begin(), list->end(), [&](const std::string& s) { return match(s); });
    }
    return false;
  }

 private:
  bool match(const std::string& s) const {
    switch (op_) {
      case Op::kEq: return s == value_;
      case Op::kContains: return s.find(value_) != std::string::npos;
      case Op::kIContains:
        return std::search(s.begin(), s.end(), value_.begin(), value_.end(),
                           [](char a, char b) { return lower(a) == b; }) != s.end() || value_.empty();
      case Op::kStartsWith: return std::string_view(s).starts_with(value_);
      case Op::kEndsWith: return std::string_view(s).ends_with(value_);
      case Op::kGlob: return fnmatch(value_.c_str(), s.c_str(), 0) == 0;
      case Op::kRegex: return RE2::FullMatch(s, *re_);
      case Op::kIn:
      case Op::kIntersects: return set_.find(std::string_view(s)) != set_.end();
      case Op::kPmatch: return pmatch(s);
      default: return false;
    }
  }

  // Whether a list entry is the path or one of its parent directories, probing each prefix
  // that ends at a '/' in the hash set: O(path depth), whatever the list size.
  bool pmatch(std::string_view path) const {
    if (set_.find(path) != set_.end()) return true;
    for (size_t i = path.size(); i-- > 0;) {
      if (path[i] != '/') continue;
      if (set_.find(path.substr(0, i == 0 ? 1 : i)) != set_.end()) return true;
    }
    return false;
  }

  uint32_t field_;
  Op op_;
  std::string value_;
  StringSet set_;
  std::unique_ptr<RE2> re_;
};

using Wide = __int128;  // holds every int64 and uint64, so mixed comparisons are exact

class NumberNode : public CompiledCondition {
 public:
  NumberNode(uint32_t field, Op op, std::vector<Wide> values) : field_(field), op_(op), values_(std::move(values)) {
    std::sort(values_.begin(), values_.end());
  }

  bool eval(FieldCache& f) const override {
    const FieldValue& v = f.get(field_);
    Wide x;
    if (const auto* u = std::get_if<uint64_t>(&v)) {
      x = *u;
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
      x = *i;
    } else {
      return false;
    }
    switch (op_) {
      case Op::kEq: return x == values_[0];
      case Op::kNe: return x != values_[0];
      case Op::kLt: return x < values_[0];
      case Op::kLe: return x <= values_[0];
      case Op::kGt: return x > values_[0];
      case Op::kGe: return x >= values_[0];
      case Op::kIn:
      case Op::kIntersects: return std::binary_search(values_.begin(), values_.end(), x);
      default: return false;
    }
  }

 private:
  uint32_t field_;
  Op op_;
  std::vector<Wide> values_;
};

class BoolNode : public CompiledCondition {
 public:
  BoolNode(uint32_t field, bool want) : field_(field), want_(want) {}
  bool eval(FieldCache& f) const override {
    const auto* b = std::get_if<bool>(&f.get(field_));
    return b && *b == want_;
  }

 private:
  uint32_t field_;
  bool want_;
};

bool is_string_op(Op op) {
  switch (op) {
    case Op::kContains:
    case Op::kIContains:
    case Op::kStartsWith:
    case Op::kEndsWith:
    case Op::kGlob:
    case Op::kRegex:
    case Op::kPmatch: return true;
    default: return false;
  }
}

// kUnsupported, so the caller points at the field; a bad constant (kInvalidArgument) at the value.
Error type_error(Op op, FieldType type) {
  return make_error(ErrorCode::kUnsupported, "operator '{}' does not apply to a field of type {}", op_name(op),
                    field_type_name(type));
}

Result<Wide> parse_number(const std::string& s) {
  int64_t i = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && end == s.data() + s.size()) return Wide{i};
  uint64_t u = 0;
  auto [uend, uec] = std::from_chars(s.data(), s.data() + s.size(), u);
  if (uec == std::errc() && uend == s.data() + s.size()) return Wide{u};
  return make_error(ErrorCode::kInvalidArgument, "'{}' is not a number", s);
}

Result<ConditionPtr> make_string(uint32_t field, Op op, const std::vector<std::string>& values) {
  if (op_takes_list(op)) {
    StringSet set;
    for (const std::string& v : values) {
      // "/usr/" and "/usr" name the same directory for pmatch.
      if (op == Op::kPmatch && v.size() > 1 && v.back() == '/') {
        set.insert(v.substr(0, v.size() - 1));
      } else {
        set.insert(v);
      }
    }
    return ConditionPtr(std::make_unique<StringNode>(field, op, std::move(set)));
  }
  if (op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe) return type_error(op, FieldType::kString);
  if (op == Op::kRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(values[0], options);
    if (!re->ok()) return make_error(ErrorCode::kInvalidArgument, "bad regex '{}': {}", values[0], re->error());
    return ConditionPtr(std::make_unique<StringNode>(field, std::move(re)));
  }
  return ConditionPtr(std::make_unique<StringNode>(field, op, values[0]));
}

}  // namespace

ConditionPtr make_and(std::vector<ConditionPtr> children) { return std::make_unique<AndNode>(std::move(children)); }
ConditionPtr make_or(std::vector<ConditionPtr> children) { return std::make_unique<OrNode>(std::move(children)); }
ConditionPtr make_not(ConditionPtr child) { return std::make_unique<NotNode>(std::move(child)); }

Result<ConditionPtr> make_compare(uint32_t field, FieldType type, Op op, const std::vector<std::string>& values) {
  if (op == Op::kExists) return ConditionPtr(std::make_unique<ExistsNode>(field));
  if (!op_takes_list(op) && values.size() != 1) {
    return make_error(ErrorCode::kInvalidArgument, "operator '{}' takes one value", op_name(op));
  }
  switch (type) {
    case FieldType::kString:
    case FieldType::kStringList: return make_string(field, op, values);
    case FieldType::kInt:
    case FieldType::kUInt: {
      if (is_string_op(op)) return type_error(op, type);
      std::vector<Wide> numbers;
      for (const std::string& v : values) {
        auto n = parse_number(v);
        if (!n) return n.error();
        numbers.push_back(*n);
      }
      return ConditionPtr(std::make_unique<NumberNode>(field, op, std::move(numbers)));
    }
    case FieldType::kBool: {
      if (op != Op::kEq && op != Op::kNe) return type_error(op, type);
      if (values[0] != "true" && values[0] != "false") {
        return make_error(ErrorCode::kInvalidArgument, "'{}' is not true or false", values[0]);
      }
      return ConditionPtr(std::make_unique<BoolNode>(field, (values[0] == "true") == (op == Op::kEq)));
    }
  }
  return type_error(op, type);
}

}  // namespace ztai::rules
