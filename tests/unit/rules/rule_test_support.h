// Compiles rule text and feeds synthetic events through a process table, for the rule tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/rules/rule_compiler.h"
#include "agent/rules/rule_document.h"

namespace ztai::rules::testing {

struct Compiled {
  std::shared_ptr<const RuleSet> rules;
  Diagnostics diags;
};

inline Compiled compile_text(const std::string& yaml, const std::string& name = "rules.yaml") {
  Compiled out;
  RuleDocument doc;
  doc.add_text(yaml, name, out.diags);
  out.rules = compile_rules(doc, builtin_fields(), out.diags);
  return out;
}

// Every diagnostic, one per line.
inline std::string all_text(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& x : d.all()) out += x.str() + "\n";
  return out;
}

// A shell (pid 10) under init (1) that runs the program (pid 11), as execve events.
class Host {
 public:
  Host() { exec({1, 1}, {}, "/sbin/init", {"/sbin/init"}); }

  const Event& exec(ProcKey key, ProcKey parent, std::string file, std::vector<std::string> argv,
                    uint32_t uid = 0, uint32_t euid = 0) {
    ExecPayload p;
    p.parent = parent;
    p.filename = std::move(file);
    p.argv = std::move(argv);
    p.uid = uid;
    p.euid = euid;
    events_.push_back(std::make_unique<Event>(Event{EventHeader{EventType::kExec, ++now_, key.tgid, 0, key, 7}, p}));
    last_proc_ = table.apply(*events_.back());
    return *events_.back();
  }

  const Event& exit(ProcKey key, uint32_t status) {
    events_.push_back(std::make_unique<Event>(Event{EventHeader{EventType::kExit, ++now_, key.tgid, 0, key, 7},
                                                    ExitPayload{status}}));
    last_proc_ = table.apply(*events_.back());
    return *events_.back();
  }

  // The names of the rules that match the last event.
  std::vector<std::string> matches(const RuleSet& rules, MatchMode mode = MatchMode::kAll) {
    RuleEvaluator eval(std::shared_ptr<const RuleSet>(&rules, [](const RuleSet*) {}), mode);
    EventContext ctx{*events_.back(), last_proc_, table, clock};
    std::vector<std::string> out;
    for (const CompiledRule* r : eval.evaluate(ctx)) out.push_back(r->name);
    return out;
  }

  Record alert(const RuleSet& rules) {
    RuleEvaluator eval(std::shared_ptr<const RuleSet>(&rules, [](const RuleSet*) {}), MatchMode::kAll);
    EventContext ctx{*events_.back(), last_proc_, table, clock};
    const auto& m = eval.evaluate(ctx);
    return m.empty() ? Record{} : eval.alert(*m.front(), ctx, "host");
  }

  MetricsRegistry metrics;
  ProcessTable table{{}, "h", metrics};
  BootClock clock{0};

 private:
  std::vector<std::unique_ptr<Event>> events_;
  const ProcessInfo* last_proc_ = nullptr;
  uint64_t now_ = 0;
};

}  // namespace ztai::rules::testing
