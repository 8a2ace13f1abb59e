#include "agent/rules/rule_document.h"

#include "agent/rules/quantity.h"
#include "agent/rules/rule_set.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace ztai::rules {
namespace {

// Rule files are read whole; anything this large is a mistake or an attack.
constexpr size_t kMaxFileBytes = 16u << 20;
constexpr size_t kMaxItems = 100'000;
constexpr size_t kMaxListItems = 1'000'000;
constexpr size_t kMaxTextBytes = 64u << 20;

constexpr uint64_t kMaxWithinNs = 86'400'000'000'000;  // a day
constexpr uint64_t kMaxCount = 1'000'000'000;

class ItemReader {
 public:
  ItemReader(const YAML::Node& item, std::shared_ptr<const SourceFile> file, std::string label, Diagnostics& diags)
      : item_(item), file_(std::move(file)), label_(std::move(label)), diags_(diags) {}

  Where at(const YAML::Node& n) const { return Where{file_, n.Mark()}; }
  bool has(const char* key) const { return static_cast<bool>(item_[key]); }

  void error(const YAML::Node& n, std::string message) { diags_.error(at(n).str(), label_, std::move(message)); }

  // Every key must be one the item kind knows.
  bool check_keys(std::initializer_list<std::string_view> allowed) {
    bool ok = true;
    for (auto it = item_.begin(); it != item_.end(); ++it) {
      std::string key = it->first.Scalar();
      bool known = false;
      for (std::string_view a : allowed) known |= a == key;
      if (!known) {
        error(it->first, fmt::format("unknown key '{}'", key));
        ok = false;
      }
    }
    return ok;
  }

  bool string(const char* key, std::string& out) {
    YAML::Node n = item_[key];
    if (!n) return true;
    if (!n.IsScalar()) {
      error(n, fmt::format("{} must be a string", key));
      return false;
    }
    out = n.Scalar();
    return true;
  }

  bool text(const char* key, LocatedText& out) {
    std::string s;
    if (!string(key, s)) return false;
    if (item_[key]) out = LocatedText(std::move(s), at(item_[key]));
    return true;
  }

  bool boolean(const char* key, bool& out) {
    YAML::Node n = item_[key];
    if (!n) return true;
    try {
      out = n.as<bool>();
      return true;
    } catch (const YAML::Exception&) {
      error(n, fmt::format("{} must be true or false", key));
      return false;
    }
  }

  bool strings(const char* key, std::vector<std::string>& out) {
    YAML::Node n = item_[key];
    if (!n || n.IsNull()) return true;
    if (!n.IsSequence()) {
      error(n, fmt::format("{} must be a list", key));
      return false;
    }
    for (const YAML::Node& v : n) {
      if (!v.IsScalar()) {
        error(v, fmt::format("{}: each item must be a string", key));
        return false;
      }
      out.push_back(v.Scalar());
    }
    return true;
  }

  // `override: {key: append|replace}`; empty when absent.
  bool overrides(std::map<std::string, std::string>& out) {
    YAML::Node n = item_["override"];
    if (!n) return true;
    if (!n.IsMap()) {
      error(n, "override must map keys to append or replace");
      return false;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string how = it->second.IsScalar() ? it->second.Scalar() : "";
      if (how != "append" && how != "replace") {
        error(it->second, fmt::format("override.{}: '{}' is not append or replace", it->first.Scalar(), how));
        return false;
      }
      if (!item_[it->first.Scalar()]) {
        error(it->first, fmt::format("override names '{}', which the item does not give", it->first.Scalar()));
        return false;
      }
      out[it->first.Scalar()] = how;
    }
    return true;
  }

  // With override, every key given besides the name must be named in it, with an allowed mode.
  bool check_override(const std::map<std::string, std::string>& ov, const char* name_key,
                      const std::set<std::string>& can_append, const std::set<std::string>& can_replace) {
    bool ok = true;
    for (auto it = item_.begin(); it != item_.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key == name_key || key == "override") continue;
      auto o = ov.find(key);
      if (o == ov.end()) {
        error(it->first, fmt::format("'{}' is not named in override", key));
        ok = false;
      } else if ((o->second == "append" && !can_append.count(key)) ||
                 (o->second == "replace" && !can_replace.count(key))) {
        error(it->first, fmt::format("'{}' cannot be overridden with {}", key, o->second));
        ok = false;
      }
    }
    return ok;
  }

  const YAML::Node& item() const { return item_; }

 private:
  const YAML::Node& item_;
  std::shared_ptr<const SourceFile> file_;
  std::string label_;
  Diagnostics& diags_;
};

// List items in Falco files are sometimes quoted twice ('"a b"'); the inner quotes are syntax.
std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

bool read_exceptions(ItemReader& r, std::vector<ExceptionDef>& out) {
  YAML::Node n = r.item()["exceptions"];
  if (!n || n.IsNull()) return true;
  if (!n.IsSequence()) {
    r.error(n, "exceptions must be a list");
    return false;
  }
  for (const YAML::Node& e : n) {
    if (!e.IsMap() || !e["name"] || !e["name"].IsScalar()) {
      r.error(e, "each exception needs a name");
      return false;
    }
    ExceptionDef def;
    def.name = e["name"].Scalar();
    def.where = r.at(e);
    for (auto it = e.begin(); it != e.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key != "name" && key != "fields" && key != "comps" && key != "values") {
        r.error(it->first, fmt::format("exception {}: unknown key '{}'", def.name, key));
        return false;
      }
    }
    YAML::Node fields = e["fields"], comps = e["comps"], values = e["values"];
    if (fields && fields.IsScalar()) {
      def.single_field = true;
      def.fields = {fields.Scalar()};
      def.comps = {comps && comps.IsScalar() ? comps.Scalar() : "in"};
    } else if (fields && fields.IsSequence()) {
      for (const YAML::Node& f : fields) def.fields.push_back(f.Scalar());
      if (comps && comps.IsSequence()) {
        for (const YAML::Node& c : comps) def.comps.push_back(c.Scalar());
      } else {
        def.comps.assign(def.fields.size(), "=");
      }
      if (def.comps.size() != def.fields.size()) {
        r.error(comps, fmt::format("exception {}: {} fields but {} comps", def.name, def.fields.size(),
                                   def.comps.size()));
        return false;
      }
    } else if (!fields && values) {
      r.error(e, fmt::format("exception {}: values without fields", def.name));
      return false;
    }
    if (values && !values.IsNull()) {
      if (!values.IsSequence()) {
        r.error(values, fmt::format("exception {}: values must be a list", def.name));
        return false;
      }
      for (const YAML::Node& v : values) def.values.push_back(v);
    }
    out.push_back(std::move(def));
  }
  return true;
}

bool read_step(ItemReader& r, const YAML::Node& n, size_t index, StepDef& out) {
  if (!n.IsMap()) {
    r.error(n, fmt::format("sequence.steps[{}] must be a mapping with a condition", index));
    return false;
  }
  out.where = r.at(n);
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = it->first.Scalar();
    if (key != "condition" && key != "count" && key != "sum" && key != "at_least") {
      r.error(it->first, fmt::format("sequence.steps[{}]: unknown key '{}' (condition, count, sum, at_least)", index, key));
      return false;
    }
  }
  YAML::Node cond = n["condition"];
  if (!cond || !cond.IsScalar() || cond.Scalar().empty()) {
    r.error(cond ? cond : n, fmt::format("sequence.steps[{}] needs a condition", index));
    return false;
  }
  out.condition = LocatedText(cond.Scalar(), r.at(cond));
  if (YAML::Node c = n["count"]) {
    auto v = c.IsScalar() ? parse_amount(c.Scalar()) : std::nullopt;
    if (!v || *v < 1 || *v > kMaxCount) {
      r.error(c, fmt::format("sequence.steps[{}].count: expected a number of events, 1..{}", index, kMaxCount));
      return false;
    }
    out.count = *v;
  }
  YAML::Node sum = n["sum"], least = n["at_least"];
  if (sum) {
    out.sum_where = r.at(sum);
    if (sum.IsScalar()) {
      out.sum.push_back(sum.Scalar());
    } else if (sum.IsSequence() && sum.size() > 0) {
      for (const YAML::Node& f : sum) {
        if (!f.IsScalar()) {
          r.error(f, fmt::format("sequence.steps[{}].sum: each item is a field name", index));
          return false;
        }
        out.sum.push_back(f.Scalar());
      }
    } else {
      r.error(sum, fmt::format("sequence.steps[{}].sum: a field name or a list of them", index));
      return false;
    }
    if (n["count"]) {
      r.error(sum, fmt::format("sequence.steps[{}]: count and sum exclude each other", index));
      return false;
    }
    if (!least) {
      r.error(sum, fmt::format("sequence.steps[{}]: sum needs at_least (the total that completes the step)", index));
      return false;
    }
  }
  if (least) {
    auto v = least.IsScalar() ? parse_amount(least.Scalar()) : std::nullopt;
    if (!sum) {
      r.error(least, fmt::format("sequence.steps[{}]: at_least needs sum", index));
      return false;
    }
    if (!v || *v < 1) {
      r.error(least, fmt::format("sequence.steps[{}].at_least: expected a positive amount such as 1000, 200k, 100MB "
                                 "or 1GiB",
                                 index));
      return false;
    }
    out.at_least = *v;
  }
  return true;
}

bool read_sequence(ItemReader& r, std::optional<SequenceDef>& out) {
  YAML::Node n = r.item()["sequence"];
  if (!n) return true;
  if (!n.IsMap()) {
    r.error(n, "sequence must be a mapping with by, within and steps");
    return false;
  }
  SequenceDef def;
  def.where = r.at(n);
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = it->first.Scalar();
    if (key != "by" && key != "within" && key != "steps") {
      r.error(it->first, fmt::format("sequence: unknown key '{}' (by, within, steps)", key));
      return false;
    }
  }
  if (YAML::Node by = n["by"]) {
    def.by_where = r.at(by);
    def.by = by.IsScalar() ? by.Scalar() : "";
    if (def.by != "workload" && def.by != "process_tree" && def.by != "process") {
      r.error(by, fmt::format("sequence.by: '{}' is not workload, process_tree or process", def.by));
      return false;
    }
  }
  YAML::Node within = n["within"];
  if (!within) {
    r.error(n, "sequence needs within (500ms, 60s, 5m, 1h)");
    return false;
  }
  auto w = within.IsScalar() ? parse_duration_ns(within.Scalar()) : std::nullopt;
  if (!w || *w < 1'000'000 || *w > kMaxWithinNs) {
    r.error(within, "sequence.within: expected a duration from 1ms to 24h, such as 500ms, 60s, 5m or 1h");
    return false;
  }
  def.within_ns = *w;
  YAML::Node steps = n["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) {
    r.error(steps ? steps : n, "sequence needs steps: a list of conditions");
    return false;
  }
  if (steps.size() > kMaxSequenceSteps) {
    r.error(steps, fmt::format("sequence: at most {} steps", kMaxSequenceSteps));
    return false;
  }
  size_t i = 0;
  for (const YAML::Node& st : steps) {
    StepDef step;
    if (!read_step(r, st, i++, step)) return false;
    def.steps.push_back(std::move(step));
  }
  out = std::move(def);
  return true;
}

void merge_exceptions(std::vector<ExceptionDef>& into, std::vector<ExceptionDef>&& more) {
  for (ExceptionDef& e : more) {
    auto same = std::find_if(into.begin(), into.end(), [&](const ExceptionDef& x) { return x.name == e.name; });
    if (same == into.end()) {
      into.push_back(std::move(e));
    } else {
      // Falco: an appended exception of an existing name adds value tuples to it.
      same->values.insert(same->values.end(), e.values.begin(), e.values.end());
    }
  }
}

}  // namespace

void RuleDocument::add_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(path, "", "cannot open the file");
    return;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (buf.str().size() > kMaxFileBytes) {
    diags.error(path, "", fmt::format("larger than {} bytes", kMaxFileBytes));
    return;
  }
  add_text(buf.str(), path, diags);
}

void RuleDocument::add_text(const std::string& text, const std::string& name, Diagnostics& diags) {
  auto file = std::make_shared<SourceFile>(SourceFile{name, text});
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diags.error(fmt::format("{}:{}:{}", name, e.mark.line + 1, e.mark.column + 1), "", e.msg);
    return;
  }
  if (!root || root.IsNull()) return;
  if (!root.IsSequence()) {
    diags.error(Where{file, root.Mark()}.str(), "", "a rule file is a list of rule, macro and list items");
    return;
  }
  for (const YAML::Node& item : root) add_item(item, file, diags);
}

bool RuleDocument::over_budget(const Where& where, size_t list_items, size_t text_bytes, Diagnostics& diags) {
  list_items_ += list_items;
  text_bytes_ += text_bytes;
  if (items_ <= kMaxItems && list_items_ <= kMaxListItems && text_bytes_ <= kMaxTextBytes) return false;
  if (!std::exchange(budget_reported_, true)) {
    diags.error(where.str(), "",
                fmt::format("the rule files hold more than {} items, {} list items or {} bytes of conditions and "
                            "outputs; the rest is not loaded",
                            kMaxItems, kMaxListItems, kMaxTextBytes));
  }
  return true;
}

void RuleDocument::add_item(const YAML::Node& item, const std::shared_ptr<const SourceFile>& file,
                            Diagnostics& diags) {
  Where where{file, item.Mark()};
  ++items_;
  if (over_budget(where, 0, 0, diags)) return;
  if (!item.IsMap()) {
    diags.error(where.str(), "", "each item must be a mapping with rule, macro or list");
    return;
  }
  if (item["rule"]) return add_rule(item, where, diags);
  if (item["macro"]) return add_macro(item, where, diags);
  if (item["list"]) return add_list(item, where, diags);
  if (item["required_engine_version"]) return;  // we read every version of the format Falco documents
  if (item["required_plugin_versions"]) {
    diags.warning(where.str(), "", "plugins are not supported; required_plugin_versions is ignored");
    return;
  }
  diags.error(where.str(), "", "unknown item: expected rule, macro, list or required_engine_version");
}

void RuleDocument::add_list(const YAML::Node& item, const Where& where, Diagnostics& diags) {
  if (!item["list"].IsScalar()) return diags.error(where.str(), "", "list: the name must be a string");
  std::string name = item["list"].Scalar();
  ItemReader r(item, where.file, "list " + name, diags);
  if (!r.check_keys({"list", "items", "append", "override"})) return;
  bool append = false;
  std::vector<std::string> items;
  std::map<std::string, std::string> ov;
  if (!r.boolean("append", append) || !r.strings("items", items) || !r.overrides(ov)) return;
  if (!ov.empty() && !r.check_override(ov, "list", {"items"}, {"items"})) return;
  if (over_budget(where, items.size(), 0, diags)) return;
  for (std::string& i : items) i = unquote(std::move(i));
  auto existing = list_index_.find(name);
  if (append || ov.count("items")) {
    if (existing == list_index_.end()) {
      return r.error(item["list"], "cannot append to or override a list that is not defined before");
    }
    auto& into = lists_[existing->second].items;
    if (!append && ov["items"] == "replace") into.clear();
    into.insert(into.end(), items.begin(), items.end());
    return;
  }
  if (!r.has("items")) return r.error(item["list"], "a list needs items");
  ListDef def{name, std::move(items), where};
  if (existing != list_index_.end()) {
    lists_[existing->second] = std::move(def);
  } else {
    list_index_[name] = lists_.size();
    lists_.push_back(std::move(def));
  }
}

void RuleDocument::add_macro(const YAML::Node& item, const Where& where, Diagnostics& diags) {
  if (!item["macro"].IsScalar()) return diags.error(where.str(), "", "macro: the name must be a string");
  std::string name = item["macro"].Scalar();
  ItemReader r(item, where.file, "macro " + name, diags);
  if (!r.check_keys({"macro", "condition", "append", "override"})) return;
  bool append = false;
  LocatedText cond;
  std::map<std::string, std::string> ov;
  if (!r.boolean("append", append) || !r.text("condition", cond) || !r.overrides(ov)) return;
  if (!ov.empty() && !r.check_override(ov, "macro", {"condition"}, {"condition"})) return;
  if (!r.has("condition")) return r.error(item["macro"], "a macro needs a condition");
  if (over_budget(where, 0, cond.text().size(), diags)) return;
  auto existing = macro_index_.find(name);
  if (append || ov.count("condition")) {
    if (existing == macro_index_.end()) {
      return r.error(item["macro"], "cannot append to or override a macro that is not defined before");
    }
    MacroDef& m = macros_[existing->second];
    if (!append && ov["condition"] == "replace") {
      m.condition = cond;
    } else {
      m.condition.append(cond);
    }
    return;
  }
  MacroDef def{name, std::move(cond), where};
  if (existing != macro_index_.end()) {
    macros_[existing->second] = std::move(def);
  } else {
    macro_index_[name] = macros_.size();
    macros_.push_back(std::move(def));
  }
}

void RuleDocument::add_rule(const YAML::Node& item, const Where& where, Diagnostics& diags) {
  if (!item["rule"].IsScalar()) return diags.error(where.str(), "", "rule: the name must be a string");
  std::string name = item["rule"].Scalar();
  ItemReader r(item, where.file, "rule " + name, diags);
  if (!r.check_keys({"rule", "desc", "condition", "output", "priority", "tags", "enabled", "exceptions", "source",
                     "append", "override", "warn_evttypes", "skip-if-unknown-filter", "actions", "sequence"})) {
    return;
  }
  RuleDef def;
  def.name = name;
  def.where = where;
  bool append = false;
  std::string priority;
  std::map<std::string, std::string> ov;
  if (!r.boolean("append", append) || !r.string("desc", def.desc) || !r.text("condition", def.condition) ||
      !r.text("output", def.output) || !r.string("priority", priority) || !r.strings("tags", def.tags) ||
      !r.boolean("enabled", def.enabled) || !r.string("source", def.source) ||
      !r.boolean("skip-if-unknown-filter", def.skip_if_unknown_filter) || !r.strings("actions", def.actions) ||
      !read_exceptions(r, def.exceptions) || !read_sequence(r, def.sequence) ||
      !r.overrides(ov)) {
    return;
  }
  if (r.has("actions")) def.actions_where = r.at(item["actions"]);
  size_t text = def.condition.text().size() + def.output.text().size();
  if (def.sequence) {
    for (const StepDef& st : def.sequence->steps) text += st.condition.text().size();
  }
  if (over_budget(where, 0, text, diags)) return;
  if (def.sequence && r.has("condition")) {
    return r.error(item["sequence"], "a rule has a condition or a sequence, not both");
  }
  if (!priority.empty()) {
    auto p = parse_priority(priority);
    if (!p) return r.error(item["priority"], fmt::format("unknown priority '{}'", priority));
    def.priority = *p;
  }

  auto existing = rule_index_.find(name);
  RuleDef* old = existing == rule_index_.end() ? nullptr : &rules_[existing->second];
  if (append) {
    if (!old) return r.error(item["rule"], "cannot append to a rule that is not defined before");
    for (auto it = item.begin(); it != item.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key != "rule" && key != "append" && key != "condition" && key != "exceptions") {
        return r.error(it->first, fmt::format("'{}' cannot be appended; use override", key));
      }
    }
    if (!def.condition.empty() && old->sequence) {
      return r.error(item["condition"], "a sequence rule has no condition to append to; override its sequence");
    }
    if (!def.condition.empty()) old->condition.append(def.condition);
    merge_exceptions(old->exceptions, std::move(def.exceptions));
    return;
  }
  if (!ov.empty()) {
    if (!old) return r.error(item["rule"], "cannot override a rule that is not defined before");
    if (!r.check_override(ov, "rule", {"condition", "output", "desc", "tags", "exceptions"},
                          {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "source",
                           "actions", "sequence"})) {
      return;
    }
    for (const auto& [key, how] : ov) {
      bool add = how == "append";
      if (key == "condition" && old->sequence) {
        return r.error(item["condition"], "a sequence rule has no condition; override its sequence");
      }
      if (key == "sequence" && !old->sequence) {
        return r.error(item["sequence"], "the rule has a condition, not a sequence; override its condition");
      }
      if (key == "condition") add ? old->condition.append(def.condition) : void(old->condition = def.condition);
      if (key == "sequence") old->sequence = def.sequence;
      if (key == "output") add ? old->output.append(def.output) : void(old->output = def.output);
      if (key == "desc") old->desc = add ? old->desc + " " + def.desc : def.desc;
      if (key == "priority") old->priority = def.priority;
      if (key == "enabled") old->enabled = def.enabled;
      if (key == "source") old->source = def.source;
      if (key == "actions") {
        old->actions = def.actions;
        old->actions_where = def.actions_where;
      }
      if (key == "tags") {
        if (!add) old->tags.clear();
        old->tags.insert(old->tags.end(), def.tags.begin(), def.tags.end());
      }
      if (key == "exceptions") {
        if (!add) old->exceptions.clear();
        merge_exceptions(old->exceptions, std::move(def.exceptions));
      }
    }
    return;
  }
  // Falco's shorthand to switch a rule defined earlier on or off.
  if (old && item.size() == 2 && r.has("enabled")) {
    old->enabled = def.enabled;
    return;
  }
  for (const char* key : {"output", "desc", "priority"}) {
    if (!r.has(key)) return r.error(item["rule"], fmt::format("a rule needs {}", key));
  }
  if (!r.has("condition") && !def.sequence) return r.error(item["rule"], "a rule needs condition (or sequence)");
  if (old) {
    *old = std::move(def);
  } else {
    rule_index_[name] = rules_.size();
    rules_.push_back(std::move(def));
  }
}

const ListDef* RuleDocument::find_list(std::string_view name) const {
  auto it = list_index_.find(name);
  return it == list_index_.end() ? nullptr : &lists_[it->second];
}

const MacroDef* RuleDocument::find_macro(std::string_view name) const {
  auto it = macro_index_.find(name);
  return it == macro_index_.end() ? nullptr : &macros_[it->second];
}

}  // namespace ztai::rules
