#include "agent/fields/chain_fields.h"

#include <stdexcept>

#include <fmt/format.h>

#include "agent/detect/chain/causal_chains.h"
#include "agent/events/decoder.h"

namespace ztai {
namespace {

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

template <typename Get>
FieldValue of_intent(const EventContext& c, Get get) {
  if (!c.chain || !c.chain->intent) return {};
  std::string v = get(*c.chain->intent);
  return v.empty() ? FieldValue() : FieldValue(std::move(v));
}

std::string shortened(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

}  // namespace

void add_chain_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"chain.source", T::kString, "What asked for this action: llm (a model's tool call) or mcp (an MCP tools/call)",
          [](const EventContext& c, std::string_view) { return of_intent(c, [](const ToolIntent& i) { return i.source; }); }});
  add(r, {"chain.tool.name", T::kString, "The tool call this exec, file operation or connect is linked to",
          [](const EventContext& c, std::string_view) { return of_intent(c, [](const ToolIntent& i) { return i.tool; }); }});
  add(r, {"chain.tool.args", T::kString, "Arguments of that tool call (JSON text, capped)",
          [](const EventContext& c, std::string_view) { return of_intent(c, [](const ToolIntent& i) { return i.args; }); }});
  add(r, {"chain.model", T::kString, "Model that asked for the tool call (llm chains)",
          [](const EventContext& c, std::string_view) { return of_intent(c, [](const ToolIntent& i) { return i.model; }); }});
  add(r, {"chain.prompt", T::kString, "The last prompt the asking process sent before the model's tool call (capped)",
          [](const EventContext& c, std::string_view) { return of_intent(c, [](const ToolIntent& i) { return i.prompt; }); }});
  add(r, {"chain.match", T::kString, "What ties the action to the call: program NAME, path PATH or host HOST",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return c.chain ? FieldValue(c.chain->matched) : FieldValue();
          }});
  add(r, {"chain.age_ms", T::kUInt, "Time from the tool call to this action",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return c.chain ? FieldValue(uint64_t{c.chain->age_ns / 1'000'000}) : FieldValue();
          }});
  add(r, {"chain.exec_id", T::kString, "proc.exec_id of the process that carried the tool call",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.chain || !c.chain->intent) return {};
            const ProcessInfo* asker = c.processes.find(c.chain->intent->asker);
            return asker ? FieldValue(asker->exec_id) : FieldValue();
          }});
  add(r, {"chain.summary", T::kString, "The chain in one line: prompt -> tool call -> this action",
          [](const EventContext& c, std::string_view) -> FieldValue {
            if (!c.chain || !c.chain->intent) return {};
            const ToolIntent& i = *c.chain->intent;
            std::string prompt = i.prompt.empty() ? "" : fmt::format("prompt \"{}\" -> ", shortened(i.prompt, 120));
            return fmt::format("{}{} tool {}({}) -> {} {}", prompt, i.source, i.tool, shortened(i.args, 200),
                               event_type_name(c.event.hdr.type), c.chain->matched);
          }});
}

}  // namespace ztai
