#include "agent/pipeline/ai_audit.h"

#include <fmt/format.h>

#include "agent/fields/workload_fields.h"

namespace ztai {
namespace {

std::vector<std::string> with_identity(std::vector<std::string> names) {
  for (const char* f : {"proc.pid", "proc.name", "proc.exepath", "proc.cmdline", "proc.exec_id", "proc.pname",
                        "user.uid", "cgroup.id"}) {
    names.emplace_back(f);
  }
  for (const std::string& f : workload_output_fields()) names.push_back(f);
  for (const char* f : {"dlp.kinds", "dlp.count", "llm.injection.score", "llm.injection.signals"}) names.emplace_back(f);
  return names;
}

std::string text_of(const FieldList& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n != name) continue;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* l = std::get_if<std::vector<std::string>>(&v)) return fmt::format("{}", fmt::join(*l, ","));
    if (const auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
  }
  return "-";
}

}  // namespace

AiAudit::AiAudit(AuditSettings settings, const FieldRegistry& registry, std::string hostname)
    : settings_(settings),
      hostname_(std::move(hostname)),
      llm_(select_fields(registry, with_identity({"evt.type", "llm.provider", "llm.endpoint", "llm.model", "http.host",
                                                  "http.path", "http.status", "llm.api_key_id", "llm.tools",
                                                  "llm.tool.name", "llm.tokens.in", "llm.tokens.out", "llm.status",
                                                  "llm.finish_reason", "llm.latency_ms", "llm.truncated"}))),
      mcp_(select_fields(registry, with_identity({"evt.type", "mcp.kind", "mcp.method", "mcp.id", "mcp.tool.name",
                                                  "mcp.resource.uri", "mcp.error", "mcp.transport", "http.host"}))),
      content_(select_fields(registry, {"dlp.redacted_text"})) {}

bool AiAudit::covers(EventType type) {
  return type == EventType::kLlmRequest || type == EventType::kLlmResponse || type == EventType::kMcpMessage;
}

Record AiAudit::record(const EventContext& ctx) const {
  Record r;
  r.kind = RecordKind::kEvent;
  r.time_unix_ns = ctx.clock.to_unix_ns(ctx.event.hdr.boot_ns);
  r.priority = Priority::kInformational;
  r.source = "audit";
  r.hostname = hostname_;
  r.tags = {"ai", "audit"};
  bool mcp = ctx.event.hdr.type == EventType::kMcpMessage;
  r.fields = extract_fields(ctx, mcp ? mcp_ : llm_);
  if (settings_.content && settings_.max_content_bytes > 0) {
    FieldList content = extract_fields(ctx, content_);
    if (!content.empty()) {
      auto& text = std::get<std::string>(content[0].second);
      bool cut = text.size() > settings_.max_content_bytes;
      if (cut) {
        // Cut on a character boundary: outputs carry the text as UTF-8.
        size_t n = settings_.max_content_bytes;
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
        text.resize(n);
      }
      r.fields.emplace_back("audit.content", std::move(text));
      r.fields.emplace_back("audit.content_truncated", cut);
    }
  }
  std::string who = fmt::format("pid={} exe={} workload={}", ctx.event.hdr.proc.tgid, text_of(r.fields, "proc.exepath"),
                                text_of(r.fields, "workload.name"));
  std::string detect = fmt::format("dlp={} injection={}", text_of(r.fields, "dlp.count"),
                                   text_of(r.fields, "llm.injection.score"));
  if (mcp) {
    r.output = fmt::format("mcp {} {} tool={} ({} {})", text_of(r.fields, "mcp.kind"), text_of(r.fields, "mcp.method"),
                           text_of(r.fields, "mcp.tool.name"), who, detect);
  } else {
    r.output = fmt::format("{} provider={} model={} tools={} tokens_in={} tokens_out={} ({} {})",
                           event_type_name(ctx.event.hdr.type), text_of(r.fields, "llm.provider"),
                           text_of(r.fields, "llm.model"),
                           text_of(r.fields, ctx.event.hdr.type == EventType::kLlmRequest ? "llm.tools" : "llm.tool.name"),
                           text_of(r.fields, "llm.tokens.in"), text_of(r.fields, "llm.tokens.out"), who, detect);
  }
  return r;
}

}  // namespace ztai
