#include "agent/rules/rule_compiler.h"

#include <algorithm>
#include <bitset>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "agent/common/path_pattern.h"
#include "agent/fields/sequence_fields.h"
#include "agent/rules/condition_nodes.h"
#include "agent/rules/condition_parser.h"

namespace ztai::rules {
namespace {

// Macros can reference each other many times: bound what one rule may expand to.
constexpr size_t kMaxNodes = 100'000;
constexpr size_t kMaxTotalNodes = 10'000'000;
constexpr size_t kMaxTotalItems = 10'000'000;
constexpr size_t kMaxExpandedItems = 1'000'000;
constexpr size_t kMaxListNesting = 16;

const std::map<std::string, EventType, std::less<>>& known_event_types() {
  static const auto types = [] {
    std::map<std::string, EventType, std::less<>> m;
    // EventType is the ABI's append-only enum; its names come from the decoder.
    for (size_t i = 0; i < kMaxEventTypes; ++i) {
      auto t = static_cast<EventType>(i);
      std::string_view name = event_type_name(t);
      if (name != "unknown") m.emplace(std::string(name), t);
    }
    return m;
  }();
  return types;
}

// The event types a condition can match; `all` when it does not restrict evt.type.
struct TypeSet {
  std::bitset<kMaxEventTypes> bits;
  bool all = true;

  static TypeSet none() {
    TypeSet t;
    t.all = false;
    return t;
  }
  TypeSet operator&(const TypeSet& o) const {
    if (all) return o;
    if (o.all) return *this;
    TypeSet t = none();
    t.bits = bits & o.bits;
    return t;
  }
  TypeSet operator|(const TypeSet& o) const {
    if (all || o.all) return TypeSet{};
    TypeSet t = none();
    t.bits = bits | o.bits;
    return t;
  }
};

// The fd.name forms that every match of a condition satisfies one of (the kernel's file filter is
// built from them); nullopt when a match can have any path.
using PathSet = std::optional<std::vector<PathPattern>>;

PathSet paths_of_compare(std::string_view field, Op op, const std::vector<std::string>& values) {
  std::vector<PathPattern> out;
  for (const std::string& v : values) {
    if (v.empty()) return std::nullopt;
    using K = PathPattern::Kind;
    if (field == "fd.name") {
      if (op == Op::kEq || op == Op::kIn) {
        out.push_back({K::kExact, v});
      } else if (op == Op::kStartsWith || op == Op::kPmatch) {
        out.push_back({K::kPrefix, v});
      } else if (op == Op::kEndsWith) {
        out.push_back({K::kSuffix, v});
      } else if (op == Op::kGlob) {
        auto p = parse_path_pattern(v);
        if (!p) return std::nullopt;
        out.push_back(*p);
      } else {
        return std::nullopt;
      }
    } else if (field == "fd.directory" && (op == Op::kEq || op == Op::kIn || op == Op::kStartsWith)) {
      out.push_back({K::kPrefix, op == Op::kStartsWith || v.back() == '/' ? v : v + "/"});
    } else if (field == "fd.filename" && (op == Op::kEq || op == Op::kIn)) {
      out.push_back({K::kSuffix, "/" + v});
    } else if (field == "fd.filename" && op == Op::kEndsWith) {
      out.push_back({K::kSuffix, v});
    } else {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// a and b: either side's forms bound the matches; keep the narrower. a or b: both must be bounded.
PathSet paths_and(PathSet a, PathSet b) {
  if (!a) return b;
  if (!b) return a;
  return a->size() <= b->size() ? a : b;
}
PathSet paths_or(PathSet a, const PathSet& b) {
  if (!a || !b) return std::nullopt;
  a->insert(a->end(), b->begin(), b->end());
  return a;
}

struct Compiled {
  ConditionPtr node;
  TypeSet types;
  PathSet paths;
};

// Collects the problems of one item; they become errors, or warnings when the rule asked to be
// skipped over fields this agent does not have (skip-if-unknown-filter).
struct Scope {
  const LocatedText* text = nullptr;
  Where fallback;
  std::string item;
  std::vector<Diagnostic> problems;
  size_t unknown_fields = 0;

  void error(size_t offset, std::string_view token, std::string message) {
    std::string where = text && !text->empty() ? text->where(offset, token) : fallback.str();
    problems.push_back({Diagnostic::Severity::kError, std::move(where), item, std::move(message)});
  }
};

class Compiler {
 public:
  Compiler(const RuleDocument& doc, const FieldRegistry& registry, Diagnostics& diags)
      : doc_(doc), registry_(registry), diags_(diags) {}

  std::shared_ptr<const RuleSet> run() {
    for (const MacroDef& m : doc_.macros()) check_macro(m.name);
    std::vector<CompiledRule> rules;
    std::array<std::vector<uint32_t>, kMaxEventTypes> by_type;
    for (const RuleDef& def : doc_.rules()) {
      auto rule = compile_rule(def);
      if (!rule) continue;
      auto& [compiled, types] = *rule;
      auto index = static_cast<uint32_t>(rules.size());
      rules.push_back(std::move(compiled));
      if (!def.enabled) continue;
      for (const auto& [name, type] : known_event_types()) {
        if (types.all || types.bits.test(static_cast<size_t>(type))) by_type[static_cast<size_t>(type)].push_back(index);
      }
    }
    if (diags_.has_errors()) return nullptr;
    return std::make_shared<const RuleSet>(std::move(fields_), std::move(rules), std::move(by_type));
  }

 private:
  struct MacroState {
    enum class State { kUnchecked, kChecking, kGood, kBad } state = State::kUnchecked;
    NodePtr ast;
  };

  void flush(Scope& s, bool as_warnings) {
    for (Diagnostic& d : s.problems) {
      if (as_warnings) {
        d.severity = Diagnostic::Severity::kWarning;
        d.message += "; the rule is skipped (skip-if-unknown-filter)";
      }
      diags_.add(std::move(d));
    }
    s.problems.clear();
  }

  uint32_t field_id(const FieldRef& ref) {
    std::string name = ref.name();
    auto it = field_ids_.find(name);
    if (it != field_ids_.end()) return it->second;
    auto id = static_cast<uint32_t>(fields_.size());
    fields_.push_back(ref);
    field_ids_.emplace(std::move(name), id);
    return id;
  }

  void note_used(uint32_t id) {
    if (std::find(used_.begin(), used_.end(), id) == used_.end()) used_.push_back(id);
  }

  // Parses and compiles a macro on its own once, so its problems are reported at the macro
  // (once), and rules that use a broken macro say only that.
  bool check_macro(const std::string& name) {
    MacroState& m = macros_[name];
    if (m.state == MacroState::State::kGood) return true;
    if (m.state != MacroState::State::kUnchecked) return false;
    m.state = MacroState::State::kChecking;
    const MacroDef* def = doc_.find_macro(name);
    Scope s{&def->condition, def->where, "macro " + name, {}, 0};
    auto parsed = parse_condition(def->condition.text());
    bool ok = false;
    if (auto* e = std::get_if<ConditionError>(&parsed)) {
      s.error(e->offset, e->token, e->message);
    } else {
      NodePtr ast = std::move(std::get<NodePtr>(parsed));
      size_t saved_nodes = std::exchange(nodes_, 0);
      std::vector<uint32_t> saved_used = std::move(used_);
      stack_.push_back(name);
      ok = compile(*ast, s).has_value() && s.problems.empty();
      stack_.pop_back();
      nodes_ = saved_nodes;
      used_ = std::move(saved_used);
      macros_[name].ast = std::move(ast);
    }
    flush(s, false);
    macros_[name].state = ok ? MacroState::State::kGood : MacroState::State::kBad;
    return ok;
  }

  std::optional<Compiled> compile(const Node& n, Scope& s) {
    if (++nodes_ > kMaxNodes) {
      if (nodes_ == kMaxNodes + 1) s.error(n.offset, "", fmt::format("condition expands to more than {} terms", kMaxNodes));
      return std::nullopt;
    }
    if (++total_nodes_ > kMaxTotalNodes) {
      if (total_nodes_ == kMaxTotalNodes + 1) {
        s.error(n.offset, "", fmt::format("the rules expand to more than {} terms in all", kMaxTotalNodes));
      }
      return std::nullopt;
    }
    switch (n.kind) {
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        bool is_and = n.kind == Node::Kind::kAnd;
        std::vector<ConditionPtr> children;
        TypeSet types = is_and ? TypeSet{} : TypeSet::none();
        PathSet paths;
        bool ok = true;
        bool first = true;
        for (const NodePtr& c : n.children) {
          auto r = compile(*c, s);
          if (!r) {
            ok = false;
            continue;
          }
          types = is_and ? (types & r->types) : (types | r->types);
          paths = first ? r->paths : is_and ? paths_and(paths, r->paths) : paths_or(paths, r->paths);
          first = false;
          children.push_back(std::move(r->node));
        }
        if (!ok) return std::nullopt;
        return Compiled{is_and ? make_and(std::move(children)) : make_or(std::move(children)), types, paths};
      }
      case Node::Kind::kNot: {
        auto r = compile(*n.children[0], s);
        if (!r) return std::nullopt;
        return Compiled{make_not(std::move(r->node)), TypeSet{}, std::nullopt};  // not: any path
      }
      case Node::Kind::kCompare: return compile_compare(n, s);
      case Node::Kind::kMacro: return compile_macro(n, s);
    }
    return std::nullopt;
  }

  std::optional<Compiled> compile_macro(const Node& n, Scope& s) {
    const MacroDef* def = doc_.find_macro(n.field);
    if (!def) {
      if (registry_.resolve(n.field)) {
        s.error(n.offset, n.field, fmt::format("field {} needs an operator", n.field));
      } else {
        ++s.unknown_fields;
        s.error(n.offset, n.field, fmt::format("'{}' is neither a defined macro nor a known field", n.field));
      }
      return std::nullopt;
    }
    if (std::find(stack_.begin(), stack_.end(), n.field) != stack_.end()) {
      s.error(n.offset, n.field, fmt::format("macro cycle: {} -> {}", fmt::join(stack_, " -> "), n.field));
      return std::nullopt;
    }
    if (!check_macro(n.field)) {
      s.error(n.offset, n.field, fmt::format("macro {} has errors", n.field));
      return std::nullopt;
    }
    Scope inner{&def->condition, def->where, s.item, {}, 0};
    stack_.push_back(n.field);
    auto r = compile(*macros_[n.field].ast, inner);
    stack_.pop_back();
    for (Diagnostic& d : inner.problems) s.problems.push_back(std::move(d));
    s.unknown_fields += inner.unknown_fields;
    return r;
  }

  bool expand_list(const ListDef& list, Scope& s, size_t offset, std::vector<std::string>& out, size_t depth) {
    if (depth > kMaxListNesting) {
      s.error(offset, list.name, fmt::format("list {} nests lists deeper than {} (a cycle?)", list.name, kMaxListNesting));
      return false;
    }
    for (const std::string& item : list.items) {
      if (const ListDef* inner = doc_.find_list(item); inner && inner != &list) {
        if (!expand_list(*inner, s, offset, out, depth + 1)) return false;
      } else {
        out.push_back(item);
      }
      if (out.size() > kMaxExpandedItems) {
        s.error(offset, list.name, fmt::format("lists expand to more than {} items", kMaxExpandedItems));
        return false;
      }
      if (++total_items_ > kMaxTotalItems) {
        s.error(offset, list.name, fmt::format("the rules' lists expand to more than {} items in all", kMaxTotalItems));
        return false;
      }
    }
    return true;
  }

  // The constants of a comparison, with list names replaced by their items.
  bool expand_values(const Node& n, Scope& s, std::vector<std::string>& out) {
    if (n.bare_list) {
      const ListDef* list = doc_.find_list(n.values[0].text);
      if (!list) {
        s.error(n.values[0].offset, n.values[0].text, fmt::format("undefined list '{}'", n.values[0].text));
        return false;
      }
      return expand_list(*list, s, n.values[0].offset, out, 0);
    }
    for (const Value& v : n.values) {
      const ListDef* list = op_takes_list(n.op) && !v.quoted ? doc_.find_list(v.text) : nullptr;
      if (list) {
        if (!expand_list(*list, s, v.offset, out, 0)) return false;
      } else {
        out.push_back(v.text);
      }
    }
    return true;
  }

  std::optional<Compiled> compile_compare(const Node& n, Scope& s) {
    auto ref = registry_.resolve(n.field);
    if (!ref) {
      if (ref.error().code() == ErrorCode::kNotFound) ++s.unknown_fields;
      s.error(n.offset, n.field, ref.error().message());
      return std::nullopt;
    }
    if (is_sequence_field(ref->info->name)) {
      s.error(n.offset, n.field, fmt::format("{} is known only when a sequence completes: use it in the output of a "
                                             "sequence rule, not in a condition",
                                             n.field));
      return std::nullopt;
    }
    uint32_t id = field_id(*ref);
    note_used(id);
    std::vector<std::string> values;
    if (n.op != Op::kExists && !expand_values(n, s, values)) return std::nullopt;
    auto node = make_compare(id, ref->type, n.op, values);
    if (!node) {
      bool at_field = n.values.empty() || node.error().code() == ErrorCode::kUnsupported;
      size_t at = at_field ? n.offset : n.values[0].offset;
      std::string token = at_field ? n.field : n.values[0].text;
      s.error(at, token, fmt::format("{} {}: {}", n.field, op_name(n.op), node.error().message()));
      return std::nullopt;
    }
    TypeSet types;
    if (ref->info->name == "evt.type" && (n.op == Op::kEq || n.op == Op::kIn || n.op == Op::kIntersects)) {
      types = TypeSet::none();
      for (const std::string& v : values) {
        auto it = known_event_types().find(v);
        if (it != known_event_types().end()) types.bits.set(static_cast<size_t>(it->second));
      }
    }
    return Compiled{std::move(*node), types, paths_of_compare(ref->info->name, n.op, values)};
  }

  // `%field` and `%field[index]`; `%%` is a literal percent sign.
  OutputTemplate compile_output(const RuleDef& def, Scope& s) {
    OutputTemplate out;
    // A folded YAML scalar (`output: >`) ends with a newline; alerts are one line each.
    std::string_view t = def.output.text();
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    std::string literal;
    auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
    size_t i = 0;
    while (i < t.size()) {
      if (t[i] != '%') {
        literal += t[i++];
        continue;
      }
      if (i + 1 < t.size() && t[i + 1] == '%') {
        literal += '%';
        i += 2;
        continue;
      }
      size_t end = i + 1;
      while (end < t.size() && is_name_char(t[end])) ++end;
      while (end > i + 1 && t[end - 1] == '.') --end;  // "... %proc.name." ends a sentence
      if (end < t.size() && t[end] == '[') {
        size_t close = t.find(']', end);
        if (close != std::string_view::npos) end = close + 1;
      }
      std::string name(t.substr(i + 1, end - i - 1));
      if (name.empty()) {
        literal += t[i++];
        continue;
      }
      auto output_error = [&](std::string message) {
        Scope out_scope{&def.output, def.where, s.item, {}, 0};
        out_scope.error(i, "%" + name, "output: " + message);
        for (Diagnostic& d : out_scope.problems) s.problems.push_back(std::move(d));
      };
      // `%seq.step[N].field`: the field of the event that completed step N of a sequence.
      int step = -1;
      if (name.starts_with("seq.step[") && end < t.size() && t[end] == '.') {
        size_t field_end = end + 1;
        while (field_end < t.size() && is_name_char(t[field_end])) ++field_end;
        while (field_end > end + 1 && t[field_end - 1] == '.') --field_end;
        if (field_end < t.size() && t[field_end] == '[') {
          size_t close = t.find(']', field_end);
          if (close != std::string_view::npos) field_end = close + 1;
        }
        std::string_view n = std::string_view(name).substr(9, name.size() - 10);
        size_t steps = def.sequence ? def.sequence->steps.size() : 0;
        std::string full(t.substr(i + 1, field_end - i - 1));
        if (n.empty() || n.size() > 2 || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoul(std::string(n)) >= steps) {
          name = full;
          output_error(steps ? fmt::format("{}: steps are numbered 0..{}", full, steps - 1)
                             : fmt::format("{}: only sequence rules have steps", full));
          i = field_end;
          continue;
        }
        step = static_cast<int>(std::stoul(std::string(n)));
        name = std::string(t.substr(end + 1, field_end - end - 1));
        end = field_end;
      }
      auto ref = registry_.resolve(name);
      if (!ref) {
        if (ref.error().code() == ErrorCode::kNotFound) ++s.unknown_fields;
        output_error(ref.error().message());
      } else if (is_sequence_field(ref->info->name) && (!def.sequence || step >= 0)) {
        output_error(def.sequence ? fmt::format("{} describes the whole sequence, not a step", name)
                                  : fmt::format("{} exists only in the output of a sequence rule", name));
      } else {
        if (!literal.empty()) out.pieces.push_back({std::move(literal), -1});
        literal.clear();
        uint32_t id = field_id(*ref);
        if (step < 0) note_used(id);
        out.pieces.push_back({"", static_cast<int64_t>(id), step});
      }
      i = end;
    }
    if (!literal.empty()) out.pieces.push_back({std::move(literal), -1});
    return out;
  }

  Value exception_value(const YAML::Node& n) {
    return Value{n.IsScalar() ? n.Scalar() : "", true, 0};
  }

  // One comparison of an exception: a scalar, or a YAML list of items (for in, pmatch...).
  NodePtr exception_term(const std::string& field, Op op, const YAML::Node& value) {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kCompare;
    node->field = field;
    node->op = op;
    if (value.IsSequence()) {
      for (const YAML::Node& v : value) node->values.push_back(Value{v.IsScalar() ? v.Scalar() : "", false, 0});
    } else if (op_takes_list(op)) {
      // A list name, or else a one-item list.
      Value v = exception_value(value);
      v.quoted = false;
      node->bare_list = doc_.find_list(v.text) != nullptr;
      node->values.push_back(std::move(v));
    } else {
      node->values.push_back(exception_value(value));
    }
    return node;
  }

  // `not (tuple1 or tuple2 ...)`, each tuple `field1 comp1 value1 and ...`; nullptr when empty.
  std::optional<NodePtr> exception_ast(const ExceptionDef& e, Scope& s) {
    std::vector<Op> ops;
    for (const std::string& c : e.comps) {
      auto op = parse_op(c);
      if (!op || *op == Op::kExists) {
        s.error(0, "", fmt::format("exception {}: unknown comparison '{}'", e.name, c));
        return std::nullopt;
      }
      ops.push_back(*op);
    }
    auto any = std::make_unique<Node>();
    any->kind = Node::Kind::kOr;
    if (e.single_field && !e.values.empty()) {
      auto term = std::make_unique<Node>();
      term->kind = Node::Kind::kCompare;
      term->field = e.fields[0];
      term->op = ops[0];
      for (const YAML::Node& v : e.values) {
        if (v.IsSequence()) {
          for (const YAML::Node& x : v) term->values.push_back(Value{x.IsScalar() ? x.Scalar() : "", false, 0});
        } else {
          term->values.push_back(Value{v.IsScalar() ? v.Scalar() : "", false, 0});
        }
      }
      if (!op_takes_list(ops[0]) && term->values.size() != 1) {
        s.error(0, "", fmt::format("exception {}: comparison '{}' takes one value", e.name, e.comps[0]));
        return std::nullopt;
      }
      any->children.push_back(std::move(term));
    } else if (!e.single_field) {
      for (const YAML::Node& tuple : e.values) {
        if (!tuple.IsSequence() || tuple.size() != e.fields.size()) {
          s.error(0, "", fmt::format("exception {}: each value must be a list of {} items, one per field", e.name,
                                     e.fields.size()));
          return std::nullopt;
        }
        auto all = std::make_unique<Node>();
        all->kind = Node::Kind::kAnd;
        for (size_t i = 0; i < e.fields.size(); ++i) all->children.push_back(exception_term(e.fields[i], ops[i], tuple[i]));
        any->children.push_back(std::move(all));
      }
    }
    if (any->children.empty()) return NodePtr();
    auto neg = std::make_unique<Node>();
    neg->kind = Node::Kind::kNot;
    neg->children.push_back(std::move(any));
    return neg;
  }

  std::optional<std::pair<CompiledRule, TypeSet>> compile_rule(const RuleDef& def) {
    Scope s{&def.condition, def.where, "rule " + def.name, {}, 0};
    if (def.source != "syscall") {
      diags_.warning(def.where.str(), s.item, fmt::format("source '{}' is not supported; the rule is skipped", def.source));
      return std::nullopt;
    }
    nodes_ = 0;
    used_.clear();
    CompiledRule rule;
    rule.name = def.name;
    rule.desc = def.desc;
    rule.priority = def.priority;
    rule.tags = def.tags;
    rule.source = def.source;
    rule.output = compile_output(def, s);
    for (const std::string& a : def.actions) {
      if (a == "kill") {
        rule.actions.push_back(Action::kKill);
      } else if (a == "quarantine") {
        rule.actions.push_back(Action::kQuarantine);
      } else {
        s.problems.push_back({Diagnostic::Severity::kError, def.actions_where.str(), s.item,
                              fmt::format("unknown action '{}' (known: kill, quarantine)", a)});
      }
    }

    if (def.sequence) return compile_sequence(def, std::move(rule), s);
    auto cond = compile_condition(def.condition, def.exceptions, s);
    if (!s.problems.empty() || !cond) {
      bool skip = def.skip_if_unknown_filter && s.unknown_fields == s.problems.size();
      flush(s, skip);
      return std::nullopt;
    }
    TypeSet types = cond->types;
    rule.file_paths = cond->paths;
    rule.condition = std::move(cond->node);
    if (!types.all && types.bits.none()) {
      diags_.warning(def.condition.where(0, ""), s.item,
                     "can never match: its evt.type values name no event this agent receives");
    }
    rule.output_fields = used_;
    return std::make_pair(std::move(rule), types);
  }

  // A condition with the rule's exceptions folded in; problems go to s.
  std::optional<Compiled> compile_condition(const LocatedText& text, const std::vector<ExceptionDef>& exceptions,
                                            Scope& s) {
    std::optional<Compiled> cond;
    Scope cs{&text, s.fallback, s.item, {}, 0};
    auto parsed = parse_condition(text.text());
    if (auto* e = std::get_if<ConditionError>(&parsed)) {
      cs.error(e->offset, e->token, e->message);
    } else {
      cond = compile(*std::get<NodePtr>(parsed), cs);
    }
    for (Diagnostic& d : cs.problems) s.problems.push_back(std::move(d));
    s.unknown_fields += cs.unknown_fields;
    std::vector<ConditionPtr> parts;
    for (const ExceptionDef& e : exceptions) {
      Scope es{nullptr, e.where, s.item, {}, 0};
      auto ast = exception_ast(e, es);
      if (ast && *ast) {
        if (auto c = compile(**ast, es)) parts.push_back(std::move(c->node));
      }
      for (Diagnostic& d : es.problems) s.problems.push_back(std::move(d));
      s.unknown_fields += es.unknown_fields;
    }
    if (!cond) return std::nullopt;
    // Exceptions only narrow a match: the condition's types and path forms still bound it.
    if (!parts.empty()) {
      parts.insert(parts.begin(), std::move(cond->node));
      cond->node = make_and(std::move(parts));
    }
    return cond;
  }

  static bool has_file_types(const TypeSet& t) {
    if (t.all) return true;
    for (auto i = static_cast<size_t>(EventType::kOpen); i <= static_cast<size_t>(EventType::kMemfdCreate); ++i) {
      if (t.bits.test(i)) return true;
    }
    return false;
  }

  // Each step is a condition of its own (exceptions apply to every step); the rule is indexed by
  // the event types of all its steps, and the kernel's file filter gets the path forms of the
  // steps that can match file events.
  std::optional<std::pair<CompiledRule, TypeSet>> compile_sequence(const RuleDef& def, CompiledRule rule, Scope& s) {
    const SequenceDef& seq = *def.sequence;
    auto spec = std::make_unique<SequenceSpec>();
    spec->by = seq.by == "process" ? SequenceKey::kProcess
               : seq.by == "process_tree" ? SequenceKey::kProcessTree
                                          : SequenceKey::kWorkload;
    spec->within_ns = seq.within_ns;
    std::vector<uint32_t> output_ids = used_;
    std::vector<uint32_t> last_ids;
    TypeSet types = TypeSet::none();
    PathSet paths;
    bool file_step_seen = false;
    for (size_t i = 0; i < seq.steps.size(); ++i) {
      const StepDef& def_step = seq.steps[i];
      nodes_ = 0;
      used_.clear();
      Scope ss{&def_step.condition, def_step.where, s.item, {}, 0};
      auto cond = compile_condition(def_step.condition, def.exceptions, ss);
      SequenceStep step;
      step.count = def_step.count;
      step.at_least = def_step.at_least;
      for (const std::string& f : def_step.sum) {
        auto ref = registry_.resolve(f);
        if (!ref) {
          if (ref.error().code() == ErrorCode::kNotFound) ++ss.unknown_fields;
          ss.problems.push_back({Diagnostic::Severity::kError, def_step.sum_where.str(), s.item,
                                 fmt::format("sequence.steps[{}].sum: {}", i, ref.error().message())});
        } else if (ref->type != FieldType::kUInt && ref->type != FieldType::kInt) {
          ss.problems.push_back({Diagnostic::Severity::kError, def_step.sum_where.str(), s.item,
                                 fmt::format("sequence.steps[{}].sum: {} is a {}; sum takes number fields", i, f,
                                             field_type_name(ref->type))});
        } else if (is_sequence_field(ref->info->name)) {
          ss.problems.push_back({Diagnostic::Severity::kError, def_step.sum_where.str(), s.item,
                                 fmt::format("sequence.steps[{}].sum: {} is not an event field", i, f)});
        } else {
          step.sum.push_back(field_id(*ref));
        }
      }
      for (Diagnostic& d : ss.problems) s.problems.push_back(std::move(d));
      s.unknown_fields += ss.unknown_fields;
      if (!cond) continue;
      if (!cond->types.all && cond->types.bits.none()) {
        diags_.warning(def_step.condition.where(0, ""), s.item,
                       fmt::format("sequence step {} can never match: its evt.type values name no event this agent "
                                   "receives",
                                   i));
      }
      types = types | cond->types;
      if (has_file_types(cond->types)) {
        paths = file_step_seen ? paths_or(paths, cond->paths) : cond->paths;
        file_step_seen = true;
      }
      step.condition = std::move(cond->node);
      if (i + 1 == seq.steps.size()) last_ids = used_;
      spec->steps.push_back(std::move(step));
    }
    if (!s.problems.empty() || spec->steps.size() != seq.steps.size()) {
      bool skip = def.skip_if_unknown_filter && s.unknown_fields == s.problems.size();
      flush(s, skip);
      return std::nullopt;
    }
    // The alert lists the output's fields and the last step's condition fields, all from the
    // event that completed the sequence, then the %seq.step[N] fields.
    used_ = output_ids;
    for (uint32_t id : last_ids) note_used(id);
    rule.output_fields = used_;
    size_t last = spec->steps.size() - 1;
    auto keep = [](std::vector<uint32_t>& v, uint32_t id) {
      if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
    };
    for (uint32_t id : rule.output_fields) {
      if (!is_sequence_field(fields_[id].info->name)) keep(spec->steps[last].capture, id);
    }
    for (const OutputTemplate::Piece& p : rule.output.pieces) {
      if (p.field >= 0 && p.step >= 0) keep(spec->steps[static_cast<size_t>(p.step)].capture, static_cast<uint32_t>(p.field));
    }
    rule.file_paths = file_step_seen ? paths : PathSet(std::vector<PathPattern>{});
    rule.sequence = std::move(spec);
    return std::make_pair(std::move(rule), types);
  }

  const RuleDocument& doc_;
  const FieldRegistry& registry_;
  Diagnostics& diags_;
  std::map<std::string, MacroState, std::less<>> macros_;
  std::vector<std::string> stack_;
  size_t nodes_ = 0;
  size_t total_nodes_ = 0;
  size_t total_items_ = 0;
  std::vector<FieldRef> fields_;
  std::unordered_map<std::string, uint32_t> field_ids_;
  std::vector<uint32_t> used_;  // fields the rule being compiled names, output first
};

}  // namespace

std::shared_ptr<const RuleSet> compile_rules(const RuleDocument& doc, const FieldRegistry& registry,
                                             Diagnostics& diags) {
  return Compiler(doc, registry, diags).run();
}

std::optional<EventType> event_type_by_name(std::string_view name) {
  auto it = known_event_types().find(name);
  if (it == known_event_types().end()) return std::nullopt;
  return it->second;
}

}  // namespace ztai::rules
