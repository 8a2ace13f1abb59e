// The AI audit trail: one record per LLM request, LLM response and MCP message, with who, what and
// what the detectors saw; the text only when asked for, and then redacted.
#include "agent/pipeline/ai_audit.h"

#include <gtest/gtest.h>

#include "tests/support/capture_exporter.h"
#include "tests/unit/pipeline/pipeline_harness.h"

namespace ztai {
namespace {

using testing::record_field;

// A GitHub token of the shape the DLP scanner knows.
const std::string kSecret = "ghp_" + std::string(36, 'a');

struct Pipeline : testing::PipelineHarness {
  Pipeline() : PipelineHarness(false) {}

  void feed() {
    ProcKey agent{40, 400};
    ExecPayload x;
    x.filename = "/usr/bin/node";
    x.argv = {"node", "agent.js"};
    proc.on_event(Event{EventHeader{EventType::kExec, 1, 40, 0, agent, 9}, x});
    LlmPayload req;
    req.provider = "openai";
    req.model = "gpt-4o";
    req.prompt = "deploy with token " + kSecret + " please";
    req.tools = {"run_shell", "read_file"};
    req.http = {1, "POST", "api.openai.com", "/v1/chat/completions", 0};
    proc.on_event(Event{EventHeader{EventType::kLlmRequest, 2, 40, 0, agent, 9}, req});
    LlmPayload resp = req;
    resp.prompt.clear();
    resp.response = "done";
    resp.tokens_in = 120;
    resp.tokens_out = 30;
    resp.tool_calls = {{"call_0", "run_shell", R"({"command":"ls"})"}};
    proc.on_event(Event{EventHeader{EventType::kLlmResponse, 3, 40, 0, agent, 9}, resp});
    McpPayload mcp;
    mcp.kind = McpKind::kRequest;
    mcp.method = "tools/call";
    mcp.tool_name = "read_file";
    mcp.tool_args = R"({"path":"/home/u/notes.txt"})";
    proc.on_event(Event{EventHeader{EventType::kMcpMessage, 4, 40, 0, agent, 9}, mcp});
    finish();
  }
};

TEST(AiAudit, OffByDefaultNothingIsRecorded) {
  Pipeline p;
  p.proc.use_audit(AuditSettings{});
  p.feed();
  EXPECT_TRUE(p.records.empty());
}

TEST(AiAudit, EveryExchangeIsRecordedWithWhoWhatAndDetectorsButNoContent) {
  Pipeline p;
  p.proc.use_audit(AuditSettings{.ai = true});
  p.feed();
  ASSERT_EQ(p.records.size(), 3u) << "the exec is not an AI exchange";
  const Record& req = p.records[0];
  EXPECT_EQ(req.kind, RecordKind::kEvent);
  EXPECT_EQ(req.source, "audit");
  EXPECT_EQ(record_field(req, "evt.type"), FieldValue(std::string("llm_request")));
  EXPECT_EQ(record_field(req, "proc.name"), FieldValue(std::string("node")));
  EXPECT_EQ(record_field(req, "cgroup.id"), FieldValue(uint64_t{9}));
  EXPECT_EQ(record_field(req, "llm.provider"), FieldValue(std::string("openai")));
  EXPECT_EQ(record_field(req, "llm.model"), FieldValue(std::string("gpt-4o")));
  EXPECT_EQ(record_field(req, "llm.tools"), FieldValue(std::vector<std::string>{"run_shell", "read_file"}));
  EXPECT_EQ(record_field(req, "dlp.kinds"), FieldValue(std::vector<std::string>{"github_token"}));
  EXPECT_EQ(record_field(req, "dlp.count"), FieldValue(uint64_t{1}));
  EXPECT_TRUE(std::holds_alternative<uint64_t>(record_field(req, "llm.injection.score")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(record_field(req, "audit.content")));
  EXPECT_NE(req.output.find("provider=openai model=gpt-4o tools=run_shell,read_file"), std::string::npos) << req.output;
  for (const Record& r : p.records) {
    for (const auto& [name, v] : r.fields) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        EXPECT_EQ(s->find(kSecret), std::string::npos) << name;
      }
    }
    EXPECT_EQ(r.output.find(kSecret), std::string::npos);
  }
  const Record& resp = p.records[1];
  EXPECT_EQ(record_field(resp, "llm.tokens.in"), FieldValue(uint64_t{120}));
  EXPECT_EQ(record_field(resp, "llm.tokens.out"), FieldValue(uint64_t{30}));
  EXPECT_EQ(record_field(resp, "llm.tool.name"), FieldValue(std::vector<std::string>{"run_shell"}));
  const Record& mcp = p.records[2];
  EXPECT_EQ(record_field(mcp, "mcp.method"), FieldValue(std::string("tools/call")));
  EXPECT_EQ(record_field(mcp, "mcp.tool.name"), FieldValue(std::string("read_file")));
  EXPECT_EQ(p.metrics.value("ztai_audit_records_total"), 3);
}

TEST(AiAudit, ContentWhenAskedIsRedactedAndCut) {
  Pipeline p;
  p.proc.use_audit(AuditSettings{.ai = true, .content = true, .max_content_bytes = 4096});
  p.feed();
  ASSERT_EQ(p.records.size(), 3u);
  FieldValue content = record_field(p.records[0], "audit.content");
  ASSERT_TRUE(std::holds_alternative<std::string>(content));
  const std::string& text = std::get<std::string>(content);
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.rfind("deploy with token [ghp_", 0), 0u) << text;
  EXPECT_NE(text.find("] please"), std::string::npos) << text;
  EXPECT_EQ(record_field(p.records[2], "audit.content"), FieldValue(std::string(R"({"path":"/home/u/notes.txt"})")));

  Pipeline small;
  small.proc.use_audit(AuditSettings{.ai = true, .content = true, .max_content_bytes = 6});
  small.feed();
  ASSERT_EQ(small.records.size(), 3u);
  EXPECT_EQ(record_field(small.records[0], "audit.content"), FieldValue(std::string("deploy")));
  EXPECT_EQ(record_field(small.records[0], "audit.content_truncated"), FieldValue(true));
}

}  // namespace
}  // namespace ztai
