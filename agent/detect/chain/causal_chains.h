// Causal chains: what a model or an MCP client asked a tool to do, linked to what the same
// process tree does next. A tool call (llm_response tool calls, MCP tools/call requests) leaves an
// intent on the process that carried it; an exec, file operation or connect by that process or a
// descendant within the window, whose program, path or host appears in the tool's arguments, is
// linked to the newest such intent. The alert then shows prompt -> tool call -> action.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/events/event.h"
#include "agent/identity/process_table.h"
#include "agent/protocols/dns/dns_names.h"

namespace ztai {

struct ChainSettings {
  uint64_t window_ns = 30'000'000'000;  // an action this long after the tool call is not linked
  size_t intents_per_process = 16;      // the newest ones are kept
  size_t max_processes = 4096;          // processes holding intents; the oldest is dropped beyond
  size_t max_text = 1024;               // bytes of prompt and arguments kept per intent
  size_t max_depth = 8;                 // ancestors searched above the acting process
};

struct ToolIntent {
  uint64_t boot_ns = 0;
  ProcKey asker;        // the process that carried the tool call
  std::string source;   // llm or mcp
  std::string tool;
  std::string args;     // JSON text, capped
  std::string model;    // llm: the model that asked
  std::string prompt;   // llm: the last prompt that process sent before the answer, capped
  std::vector<std::string> words;  // program names and other bare words in the arguments
  std::vector<std::string> paths;  // absolute (or ~/) paths in the arguments
  std::vector<std::string> hosts;  // hosts of URLs in the arguments
};

struct ChainLink {
  const ToolIntent* intent = nullptr;
  std::string matched;  // what tied the action to the call: "program curl", "path /etc/passwd", "host x.io"
  uint64_t age_ns = 0;  // from the tool call to the action
};

// Words, paths and URL hosts of a tool call's arguments (JSON or free text).
void extract_references(std::string_view args, ToolIntent& intent);

class CausalChains {
 public:
  explicit CausalChains(ChainSettings settings = {}) : settings_(settings) {}

  // Keeps prompts (llm_request) and intents (tool calls) of the acting process.
  void observe(const Event& event);

  // The newest intent of the acting process or an ancestor that this exec, file or connect event
  // matches, within the window; nullopt otherwise.
  std::optional<ChainLink> link(const Event& event, const ProcessInfo* proc, const ProcessTable& processes,
                                const dns::NameTable* dns_names) const;

  size_t processes() const { return intents_.size(); }

 private:
  struct PerProcess {
    std::string last_prompt;
    std::string last_model;
    std::deque<ToolIntent> intents;  // oldest first
    uint64_t touched_ns = 0;
  };
  PerProcess& slot(const ProcKey& key, uint64_t now_ns);
  void add(const EventHeader& hdr, ToolIntent intent);

  ChainSettings settings_;
  std::unordered_map<ProcKey, PerProcess, ProcKeyHash> intents_;
};

}  // namespace ztai
