#include "agent/rules/condition_parser.h"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace ztai::rules {
namespace {

struct OpName {
  std::string_view name;
  Op op;
};

constexpr std::array<OpName, 17> kOps = {{
    {"=", Op::kEq},          {"==", Op::kEq},          {"!=", Op::kNe},
    {"<", Op::kLt},          {"<=", Op::kLe},          {">", Op::kGt},
    {">=", Op::kGe},         {"contains", Op::kContains}, {"icontains", Op::kIContains},
    {"startswith", Op::kStartsWith}, {"endswith", Op::kEndsWith}, {"glob", Op::kGlob},
    {"regex", Op::kRegex},   {"in", Op::kIn},          {"intersects", Op::kIntersects},
    {"pmatch", Op::kPmatch}, {"exists", Op::kExists},
}};

// Falco operators we do not implement: named so the error says "unsupported", not "syntax".
constexpr std::array<std::string_view, 4> kUnsupportedOps = {"bcontains", "bstartswith", "iglob", "matches"};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/' || c == '*';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  std::variant<NodePtr, ConditionError> run() {
    if (s_.size() > kMaxConditionBytes) {
      return ConditionError{0, "", fmt::format("condition is longer than {} bytes", kMaxConditionBytes)};
    }
    skip_ws();
    if (pos_ == s_.size()) return ConditionError{0, "", "empty condition"};
    NodePtr root = parse_or();
    if (error_) return std::move(*error_);
    skip_ws();
    if (pos_ != s_.size()) {
      fail(pos_, "expected 'and', 'or' or the end of the condition");
      return std::move(*error_);
    }
    return root;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // The token at `at`, for error messages and locating the error in the file.
  std::string token_at(size_t at) const {
    size_t end = at;
    if (end < s_.size() && !std::isspace(static_cast<unsigned char>(s_[end])) && !is_word_char(s_[end])) ++end;
    while (end < s_.size() && (is_word_char(s_[end]) || s_[end] == '[' || s_[end] == ']')) ++end;
    return std::string(s_.substr(at, end - at));
  }

  std::nullptr_t fail(size_t at, std::string message) {
    if (!error_) {
      std::string tok = token_at(at);
      if (!tok.empty() && message.find('\'') == std::string::npos) message += fmt::format(" at '{}'", tok);
      if (tok.empty() && at >= s_.size()) message += " at the end";
      error_ = ConditionError{at, tok, std::move(message)};
    }
    return nullptr;
  }

  // The next bare word without consuming it.
  std::string_view peek_word() const {
    size_t end = pos_;
    while (end < s_.size() && is_word_char(s_[end])) ++end;
    return s_.substr(pos_, end - pos_);
  }

  bool accept_keyword(std::string_view kw) {
    skip_ws();
    if (peek_word() != kw) return false;
    pos_ += kw.size();
    return true;
  }

  NodePtr combine(Node::Kind kind, NodePtr first, size_t offset, NodePtr (Parser::*next)(), std::string_view kw) {
    if (!first) return nullptr;
    if (!accept_keyword(kw)) return first;
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->offset = offset;
    node->children.push_back(std::move(first));
    do {
      NodePtr child = (this->*next)();
      if (!child) return nullptr;
      node->children.push_back(std::move(child));
    } while (accept_keyword(kw));
    return node;
  }

  NodePtr parse_or() {
    skip_ws();
    size_t at = pos_;
    return combine(Node::Kind::kOr, parse_and(), at, &Parser::parse_and, "or");
  }

  NodePtr parse_and() {
    skip_ws();
    size_t at = pos_;
    return combine(Node::Kind::kAnd, parse_not(), at, &Parser::parse_not, "and");
  }

  NodePtr parse_not() {
    skip_ws();
    size_t at = pos_;
    if (accept_keyword("not")) {
      if (++depth_ > kMaxNesting) return fail(at, fmt::format("nesting deeper than {}", kMaxNesting));
      NodePtr child = parse_not();
      --depth_;
      if (!child) return nullptr;
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kNot;
      node->offset = at;
      node->children.push_back(std::move(child));
      return node;
    }
    return parse_term();
  }

  NodePtr parse_term() {
    skip_ws();
    size_t at = pos_;
    if (pos_ == s_.size()) return fail(at, "expected a condition");
    if (s_[pos_] == '(') {
      if (++depth_ > kMaxNesting) return fail(at, fmt::format("nesting deeper than {}", kMaxNesting));
      ++pos_;
      NodePtr inner = parse_or();
      if (!inner) return nullptr;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') return fail(pos_, "expected ')'");
      ++pos_;
      --depth_;
      return inner;
    }
    std::string_view word = peek_word();
    if (word.empty()) return fail(at, "expected a field or a macro name");
    if (word == "and" || word == "or") return fail(at, fmt::format("expected a condition before '{}'", word));
    pos_ += word.size();
    std::string name(word);
    if (pos_ < s_.size() && s_[pos_] == '[') {
      size_t close = s_.find(']', pos_);
      if (close == std::string_view::npos) return fail(pos_, "expected ']'");
      name.append(s_.substr(pos_, close + 1 - pos_));
      pos_ = close + 1;
    }
    if (pos_ < s_.size() && s_[pos_] == '(') {
      return fail(at, fmt::format("'{}(...)': field transformers and val() are not supported", name));
    }

    auto node = std::make_unique<Node>();
    node->offset = at;
    node->field = std::move(name);
    skip_ws();
    size_t op_at = pos_;
    std::optional<Op> op = read_op();
    if (!op) {
      if (error_) return nullptr;
      node->kind = Node::Kind::kMacro;
      pos_ = op_at;
      return node;
    }
    node->kind = Node::Kind::kCompare;
    node->op = *op;
    if (*op == Op::kExists) return node;
    skip_ws();
    if (op_takes_list(*op)) {
      if (pos_ < s_.size() && s_[pos_] == '(') {
        if (!read_list(node->values)) return nullptr;
      } else {
        std::string_view list = peek_word();
        if (list.empty()) return fail(pos_, fmt::format("'{}' needs a list: ( ... ) or a list name", op_name(*op)));
        node->values.push_back(Value{std::string(list), false, pos_});
        node->bare_list = true;
        pos_ += list.size();
      }
      return node;
    }
    Value v;
    if (!read_value(v, false)) return nullptr;
    node->values.push_back(std::move(v));
    return node;
  }

  // An operator after a field; nullopt (without an error) when none follows: a macro name.
  std::optional<Op> read_op() {
    if (pos_ >= s_.size()) return std::nullopt;
    char c = s_[pos_];
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      size_t len = (pos_ + 1 < s_.size() && s_[pos_ + 1] == '=') ? 2 : 1;
      std::string_view sym = s_.substr(pos_, len);
      for (const OpName& o : kOps) {
        if (o.name == sym) {
          pos_ += len;
          return o.op;
        }
      }
      fail(pos_, fmt::format("unknown operator '{}'", sym));
      return std::nullopt;
    }
    std::string_view word = peek_word();
    if (word.empty() || word == "and" || word == "or" || word == "not") return std::nullopt;
    if (auto op = parse_op(word)) {
      pos_ += word.size();
      return op;
    }
    for (std::string_view u : kUnsupportedOps) {
      if (word == u) {
        fail(pos_, fmt::format("operator '{}' is not supported", word));
        return std::nullopt;
      }
    }
    fail(pos_, fmt::format("unknown operator '{}'", word));
    return std::nullopt;
  }

  bool read_quoted(Value& v) {
    char quote = s_[pos_];
    v.offset = pos_;
    v.quoted = true;
    for (size_t i = pos_ + 1; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == '\\' && i + 1 < s_.size() && (s_[i + 1] == quote || s_[i + 1] == '\\')) {
        v.text += s_[++i];
      } else if (c == quote) {
        pos_ = i + 1;
        return true;
      } else {
        v.text += c;
      }
    }
    fail(v.offset, "unterminated string");
    return false;
  }

  // A quoted string, or a bare word that ends at a space or a parenthesis (and in a list, a comma).
  bool read_value(Value& v, bool in_list) {
    skip_ws();
    if (pos_ >= s_.size()) {
      fail(pos_, "expected a value");
      return false;
    }
    if (s_[pos_] == '\'' || s_[pos_] == '"') return read_quoted(v);
    v.offset = pos_;
    size_t end = pos_;
    while (end < s_.size()) {
      char c = s_[end];
      if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || (in_list && c == ',')) break;
      ++end;
    }
    if (end == pos_) {
      fail(pos_, "expected a value");
      return false;
    }
    v.text = std::string(s_.substr(pos_, end - pos_));
    pos_ = end;
    return true;
  }

  bool read_list(std::vector<Value>& out) {
    size_t open = pos_++;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
      return true;
    }
    while (true) {
      Value v;
      if (!read_value(v, true)) return false;
      if (out.size() >= kMaxListItems) {
        fail(open, fmt::format("list has more than {} items", kMaxListItems));
        return false;
      }
      out.push_back(std::move(v));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ')') {
        ++pos_;
        return true;
      }
      fail(pos_, "expected ',' or ')' in the list");
      return false;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  std::optional<ConditionError> error_;
};

}  // namespace

std::string_view op_name(Op op) {
  for (const OpName& o : kOps) {
    if (o.op == op) return o.name;
  }
  return "?";
}

std::optional<Op> parse_op(std::string_view word) {
  for (const OpName& o : kOps) {
    if (o.name == word) return o.op;
  }
  return std::nullopt;
}

bool op_takes_list(Op op) { return op == Op::kIn || op == Op::kIntersects || op == Op::kPmatch; }

std::variant<NodePtr, ConditionError> parse_condition(std::string_view text) { return Parser(text).run(); }

}  // namespace ztai::rules
