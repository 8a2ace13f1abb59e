// Rule files as Falco defines them: a YAML sequence of `rule`, `macro`, `list` and
// `required_engine_version` items. Several files merge in order; a later item of the same name
// replaces an earlier one, or changes it with `append: true` or `override:`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/rules/diagnostic.h"
#include "exporters/record.h"

namespace ztai::rules {

struct ListDef {
  std::string name;
  std::vector<std::string> items;
  Where where;
};

struct MacroDef {
  std::string name;
  LocatedText condition;
  Where where;
};

// `exceptions:` entry: when the event's fields match one of the value tuples, the rule does not fire.
struct ExceptionDef {
  std::string name;
  std::vector<std::string> fields;
  std::vector<std::string> comps;
  bool single_field = false;  // `fields: proc.name` (not a list): values is one list, compared with `in`
  std::vector<YAML::Node> values;
  Where where;
};

// One step of a sequence rule: a condition, and optionally a threshold the step's events must
// reach before the next step is looked for.
struct StepDef {
  LocatedText condition;
  uint64_t count = 1;             // `count: N`: N matching events complete the step
  std::vector<std::string> sum;   // `sum: field` or `[f1, f2]`: the step adds up these fields...
  uint64_t at_least = 0;          // ...until the total reaches `at_least`
  Where where;
  Where sum_where;
};

// `sequence:` replaces `condition:` in a stateful rule (rules/README.md, "Sequence rules").
struct SequenceDef {
  std::string by = "workload";  // workload, process_tree or process
  uint64_t within_ns = 0;
  std::vector<StepDef> steps;
  Where where;
  Where by_where;
};

struct RuleDef {
  std::string name;
  std::string desc;
  LocatedText condition;
  std::optional<SequenceDef> sequence;  // a sequence rule has this instead of a condition
  LocatedText output;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  bool enabled = true;
  std::string source = "syscall";
  std::vector<ExceptionDef> exceptions;
  bool skip_if_unknown_filter = false;
  std::vector<std::string> actions;  // besides the alert: kill, quarantine
  Where actions_where;
  Where where;
};

class RuleDocument {
 public:
  // Adds one file's items; problems go to diags and the file's other items still load.
  void add_file(const std::string& path, Diagnostics& diags);
  void add_text(const std::string& text, const std::string& name, Diagnostics& diags);

  const std::vector<ListDef>& lists() const { return lists_; }
  const std::vector<MacroDef>& macros() const { return macros_; }
  const std::vector<RuleDef>& rules() const { return rules_; }
  const ListDef* find_list(std::string_view name) const;
  const MacroDef* find_macro(std::string_view name) const;

 private:
  void add_item(const YAML::Node& item, const std::shared_ptr<const SourceFile>& file, Diagnostics& diags);
  void add_list(const YAML::Node& item, const Where& where, Diagnostics& diags);
  void add_macro(const YAML::Node& item, const Where& where, Diagnostics& diags);
  void add_rule(const YAML::Node& item, const Where& where, Diagnostics& diags);

  // YAML aliases let a small file repeat a big list or condition many times: the totals are
  // bounded, not only each file's size.
  bool over_budget(const Where& where, size_t list_items, size_t text_bytes, Diagnostics& diags);

  size_t items_ = 0;
  size_t list_items_ = 0;
  size_t text_bytes_ = 0;
  bool budget_reported_ = false;
  std::vector<ListDef> lists_;
  std::vector<MacroDef> macros_;
  std::vector<RuleDef> rules_;
  std::map<std::string, size_t, std::less<>> list_index_, macro_index_, rule_index_;
};

}  // namespace ztai::rules
