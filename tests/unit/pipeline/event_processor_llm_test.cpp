// Captured stream data becomes llm_request, llm_response and mcp_message events that rules match
// and outputs list, with the acting process; credentials never reach a record.
#include <gtest/gtest.h>

#include "agent/pipeline/event_processor.h"
#include "tests/unit/pipeline/pipeline_harness.h"
#include "tests/unit/protocols/protocol_fixtures.h"

namespace ztai {
namespace {

using testing::PipelineHarness;
using testing::record_field;

const char* kRules = R"(
- rule: GPT-4o prompt
  desc: d
  condition: evt.type = llm_request and llm.model = "gpt-4o"
  output: prompt to %llm.model by %proc.name (prompt=%llm.prompt key=%llm.api_key_id host=%http.host)
  priority: WARNING
- rule: Model asks for a shell
  desc: d
  condition: evt.type = llm_response and llm.tool.name in (run_shell, get_current_weather)
  output: tool %llm.tool.name args %llm.tool.args
  priority: NOTICE
- rule: MCP reads a key
  desc: d
  condition: evt.type = mcp_message and mcp.method = "tools/call" and mcp.tool.args contains ".ssh"
  output: mcp %mcp.tool.name %mcp.tool.args
  priority: CRITICAL
)";

TEST(EventProcessorLlm, StreamChunksRaiseAlertsAndEventRecords) {
  PipelineHarness h(true);
  h.use_rules(kRules);

  std::string req = testing::fixture("openai_chat_stream.request");
  std::string resp = testing::fixture("openai_chat_stream.response");
  for (size_t i = 0; i < req.size(); i += 100) h.proc.on_chunk(testing::chunk(1, ChunkDirection::kEgress, req.substr(i, 100), 10 + i));
  for (size_t i = 0; i < resp.size(); i += 100) {
    h.proc.on_chunk(testing::chunk(1, ChunkDirection::kIngress, resp.substr(i, 100), 5000 + i));
  }
  std::string mcp = testing::fixture("mcp_stdio_client.jsonl");
  h.proc.on_chunk(testing::chunk(2, ChunkDirection::kEgress, mcp, 9000, ChunkTransport::kPipe));
  h.proc.on_stream_end(2, EventHeader{});
  h.finish();

  std::vector<const Record*> alerts, events;
  for (const Record& r : h.records) (r.kind == RecordKind::kAlert ? alerts : events).push_back(&r);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0]->rule, "GPT-4o prompt");
  EXPECT_NE(alerts[0]->output.find("prompt=You are a helpful assistant.\nWhat's the weather like in Boston today?"),
            std::string::npos)
      << alerts[0]->output;
  EXPECT_NE(alerts[0]->output.find("host=api.openai.com"), std::string::npos);
  EXPECT_EQ(alerts[1]->rule, "Model asks for a shell");
  EXPECT_NE(alerts[1]->output.find(R"({"location": "Boston, MA"})"), std::string::npos) << alerts[1]->output;
  EXPECT_EQ(alerts[2]->rule, "MCP reads a key");

  ASSERT_EQ(events.size(), 2u + 5u);
  EXPECT_EQ(record_field(*events[0], "evt.type"), FieldValue(std::string("llm_request")));
  EXPECT_EQ(record_field(*events[0], "proc.pid"), FieldValue(uint64_t{4242}));
  EXPECT_EQ(record_field(*events[0], "llm.tools"), FieldValue(std::vector<std::string>{"get_current_weather"}));
  EXPECT_EQ(record_field(*events[1], "evt.type"), FieldValue(std::string("llm_response")));
  EXPECT_EQ(record_field(*events[1], "llm.tokens.out"), FieldValue(uint64_t{25}));
  EXPECT_EQ(record_field(*events[1], "llm.status"), FieldValue(uint64_t{200}));
  EXPECT_EQ(record_field(*events[1], "http.path"), FieldValue(std::string("/v1/chat/completions")));
  EXPECT_EQ(record_field(*events[5], "mcp.tool.name"), FieldValue(std::string("read_file")));
  EXPECT_EQ(record_field(*events[5], "mcp.transport"), FieldValue(std::string("pipe")));
  // The key never appears: not in fields, not in outputs.
  for (const Record& r : h.records) {
    EXPECT_EQ(r.output.find("Zx8mQ2vLr5TnW9yK"), std::string::npos);
    for (const auto& [name, value] : r.fields) {
      if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_EQ(s->find("Zx8mQ2vLr5TnW9yK"), std::string::npos) << name;
      }
    }
  }
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "llm_request"}}), 1);
  EXPECT_EQ(h.metrics.value("ztai_events_total", {{"type", "mcp_message"}}), 5);
  EXPECT_EQ(h.metrics.value("ztai_stream_bytes_total"), static_cast<double>(req.size() + resp.size() + mcp.size()));
}

}  // namespace
}  // namespace ztai
