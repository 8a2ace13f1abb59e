// The AI audit trail (audit.ai): a record for every LLM request, LLM response and MCP message, so
// that "which workloads talked to which models, and what did they send" has an answer without a
// proxy. The record lists who (process, user, workload identity), what (provider, model, tools,
// MCP method, tokens) and what the detectors saw (DLP kinds and count, injection score); the text
// itself only with audit.content, and then with DLP findings redacted.
#pragma once

#include <string>

#include "agent/config/agent_config.h"
#include "agent/fields/field_registry.h"
#include "exporters/record.h"

namespace ztai {

class AiAudit {
 public:
  AiAudit(AuditSettings settings, const FieldRegistry& registry, std::string hostname);

  // True for the events the trail records.
  static bool covers(EventType type);
  Record record(const EventContext& ctx) const;

 private:
  AuditSettings settings_;
  std::string hostname_;
  FieldSelection llm_, mcp_;
  FieldSelection content_;
};

}  // namespace ztai
