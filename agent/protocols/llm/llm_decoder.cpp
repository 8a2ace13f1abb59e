#include "agent/protocols/llm/llm_decoder.h"

#include <algorithm>

namespace ztai::llm {
namespace {

using json_text::Json;
using json_text::array;
using json_text::member;
using json_text::object;
using json_text::str;
using json_text::uint;

constexpr size_t kMaxArgs = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "host:port" -> "host"
std::string host_name(const http::MessageHead& h) {
  const std::string* host = h.find("host");
  if (!host) return {};
  std::string v = lower(*host);
  if (size_t colon = v.rfind(':'); colon != std::string::npos && v.find(']') == std::string::npos) v.resize(colon);
  return v;
}

bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

std::string openai_family(const http::MessageHead& h, std::string_view path) {
  std::string host = host_name(h);
  if (host == "api.openai.com") return "openai";
  if (host.ends_with(".openai.azure.com") || path.starts_with("/openai/deployments/")) return "azure-openai";
  return "openai-compatible";
}

void add_line(std::string& to, std::string_view text) {
  if (text.empty()) return;
  if (!to.empty()) to.push_back('\n');
  to.append(text);
}

// Text of a message content: a string, or an array of parts of which the text ones count.
void content_text(const Json& content, std::string& to) {
  if (content.is_string()) {
    add_line(to, content.get_ref<const std::string&>());
    return;
  }
  if (!content.is_array()) return;
  for (const Json& part : content) {
    if (part.is_string()) {
      add_line(to, part.get_ref<const std::string&>());
      continue;
    }
    std::string type = str(part, "type");
    if (type == "text" || type == "input_text" || type == "output_text" || type.empty()) add_line(to, str(part, "text"));
  }
}

// System, developer and user messages of a messages array.
void prompt_of_messages(const Json& body, LlmPayload& out) {
  const Json* messages = array(body, "messages");
  if (!messages) return;
  for (const Json& m : *messages) {
    std::string role = str(m, "role");
    if (role != "system" && role != "developer" && role != "user") continue;
    if (const Json* c = member(m, "content")) content_text(*c, out.prompt);
  }
}

void tool_names(const Json& body, LlmPayload& out) {
  for (const char* key : {"tools", "functions"}) {
    const Json* tools = array(body, key);
    if (!tools) continue;
    for (const Json& t : *tools) {
      std::string name = str(t, "name");
      if (const Json* f = object(t, "function"); name.empty() && f) name = str(*f, "name");
      if (name.empty()) name = str(t, "type");  // built-in tools of the Responses API: web_search...
      if (!name.empty()) out.tools.push_back(std::move(name));
    }
  }
}

void api_error(const Json& body, LlmPayload& out) {
  const Json* e = member(body, "error");
  if (!e) return;
  if (e->is_string()) {
    out.error = e->get<std::string>();
  } else if (e->is_object()) {
    out.error = str(*e, "message");
    if (out.error.empty()) out.error = json_text::text(*e, 1024);
  }
}

void tool_call(const std::string& id, const std::string& name, const Json* args, LlmPayload& out) {
  LlmToolCall call{id, name, args ? json_text::text(*args, kMaxArgs) : std::string()};
  out.tool_calls.push_back(std::move(call));
}

void decode_responses_output(const Json& r, LlmPayload& out) {
  if (std::string m = str(r, "model"); !m.empty()) out.model = m;
  if (const Json* output = array(r, "output")) {
    for (const Json& item : *output) {
      std::string type = str(item, "type");
      if (type == "message") {
        if (const Json* c = member(item, "content")) content_text(*c, out.response);
      } else if (type == "function_call") {
        tool_call(str(item, "call_id"), str(item, "name"), member(item, "arguments"), out);
      }
    }
  }
  if (const Json* u = object(r, "usage")) {
    out.tokens_in = uint(*u, "input_tokens");
    out.tokens_out = uint(*u, "output_tokens");
  }
  if (std::string s = str(r, "status"); !s.empty()) out.finish_reason = s;
  api_error(r, out);
}

void decode_openai_message(const Json& message, LlmPayload& out) {
  if (const Json* c = member(message, "content")) content_text(*c, out.response);
  if (const Json* calls = array(message, "tool_calls")) {
    for (const Json& call : *calls) {
      const Json* f = object(call, "function");
      tool_call(str(call, "id"), f ? str(*f, "name") : std::string(), f ? member(*f, "arguments") : nullptr, out);
    }
  }
}

void decode_ollama_message(const Json& message, LlmPayload& out) {
  if (std::string c = str(message, "content"); !c.empty()) out.response += c;
  if (const Json* calls = array(message, "tool_calls")) {
    for (const Json& call : *calls) {
      const Json* f = object(call, "function");
      tool_call(str(call, "id"), f ? str(*f, "name") : std::string(), f ? member(*f, "arguments") : nullptr, out);
    }
  }
}

void ollama_final(const Json& j, LlmPayload& out) {
  if (auto n = uint(j, "prompt_eval_count")) out.tokens_in = n;
  if (auto n = uint(j, "eval_count")) out.tokens_out = n;
  if (std::string r = str(j, "done_reason"); !r.empty()) out.finish_reason = r;
}

}  // namespace

std::optional<Route> classify(const http::MessageHead& h) {
  if (!h.request || h.method != "POST") return std::nullopt;
  std::string_view path = h.target;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (ends_with(path, "/chat/completions")) return Route{Api::kChatCompletions, openai_family(h, path), "chat.completions"};
  if (ends_with(path, "/v1/completions") || ends_with(path, "/openai/completions") ||
      (path.starts_with("/openai/deployments/") && ends_with(path, "/completions"))) {
    return Route{Api::kCompletions, openai_family(h, path), "completions"};
  }
  if (ends_with(path, "/v1/responses") || ends_with(path, "/openai/responses")) {
    return Route{Api::kResponses, openai_family(h, path), "responses"};
  }
  if (ends_with(path, "/v1/messages")) {
    std::string host = host_name(h);
    bool anthropic = host == "api.anthropic.com" || h.find("anthropic-version") != nullptr;
    if (anthropic) return Route{Api::kMessages, "anthropic", "messages"};
    return Route{Api::kMessages, "anthropic-compatible", "messages"};
  }
  if (path == "/api/chat") return Route{Api::kOllamaChat, "ollama", "ollama.chat"};
  if (path == "/api/generate") return Route{Api::kOllamaGenerate, "ollama", "ollama.generate"};
  if (path == "/generate" || path == "/generate_stream") return Route{Api::kTgiGenerate, "tgi", "tgi.generate"};
  if (path == "/completion") return Route{Api::kLlamaCppCompletion, "llama.cpp", "llamacpp.completion"};
  return std::nullopt;
}

void decode_request(Api api, std::string_view body, LlmPayload& out) {
  auto parsed = json_text::parse(body);
  if (!parsed || !parsed->is_object()) {
    out.error = body.empty() ? "empty request body" : "request body is not a JSON object";
    return;
  }
  const Json& j = *parsed;
  out.model = str(j, "model");
  if (const Json* s = member(j, "stream"); s && s->is_boolean()) out.stream_requested = s->get<bool>();
  // Ollama streams unless told not to.
  if ((api == Api::kOllamaChat || api == Api::kOllamaGenerate) && !member(j, "stream")) out.stream_requested = true;
  switch (api) {
    case Api::kChatCompletions:
    case Api::kOllamaChat:
      prompt_of_messages(j, out);
      break;
    case Api::kCompletions:
    case Api::kLlamaCppCompletion:
      if (const Json* p = member(j, "prompt")) content_text(*p, out.prompt);
      break;
    case Api::kResponses:
      add_line(out.prompt, str(j, "instructions"));
      if (const Json* input = member(j, "input")) {
        if (input->is_string()) {
          add_line(out.prompt, input->get_ref<const std::string&>());
        } else if (input->is_array()) {
          for (const Json& item : *input) {
            std::string role = str(item, "role");
            if (role != "system" && role != "developer" && role != "user") continue;
            if (const Json* c = member(item, "content")) content_text(*c, out.prompt);
          }
        }
      }
      break;
    case Api::kMessages:
      if (const Json* s = member(j, "system")) content_text(*s, out.prompt);
      prompt_of_messages(j, out);
      break;
    case Api::kOllamaGenerate:
      add_line(out.prompt, str(j, "system"));
      add_line(out.prompt, str(j, "prompt"));
      break;
    case Api::kTgiGenerate:
      add_line(out.prompt, str(j, "inputs"));
      break;
  }
  tool_names(j, out);
}

void decode_response(Api api, std::string_view body, LlmPayload& out) {
  auto parsed = json_text::parse(body);
  if (!parsed) {
    if (out.error.empty()) out.error = body.empty() ? "empty response body" : "response body is not JSON";
    return;
  }
  const Json& j = *parsed;
  if (j.is_object()) api_error(j, out);
  switch (api) {
    case Api::kChatCompletions:
    case Api::kCompletions:
      if (std::string m = str(j, "model"); !m.empty()) out.model = m;
      if (const Json* choices = array(j, "choices")) {
        for (const Json& c : *choices) {
          if (const Json* m = object(c, "message")) decode_openai_message(*m, out);
          add_line(out.response, str(c, "text"));
          if (std::string f = str(c, "finish_reason"); !f.empty()) out.finish_reason = f;
        }
      }
      if (const Json* u = object(j, "usage")) {
        out.tokens_in = uint(*u, "prompt_tokens");
        out.tokens_out = uint(*u, "completion_tokens");
      }
      break;
    case Api::kResponses:
      decode_responses_output(j, out);
      break;
    case Api::kMessages:
      if (std::string m = str(j, "model"); !m.empty()) out.model = m;
      if (const Json* content = array(j, "content")) {
        for (const Json& block : *content) {
          std::string type = str(block, "type");
          if (type == "text") {
            add_line(out.response, str(block, "text"));
          } else if (type == "tool_use") {
            tool_call(str(block, "id"), str(block, "name"), member(block, "input"), out);
          }
        }
      }
      if (const Json* u = object(j, "usage")) {
        out.tokens_in = uint(*u, "input_tokens");
        out.tokens_out = uint(*u, "output_tokens");
      }
      out.finish_reason = str(j, "stop_reason");
      break;
    case Api::kOllamaChat:
    case Api::kOllamaGenerate:
      if (std::string m = str(j, "model"); !m.empty()) out.model = m;
      if (const Json* m = object(j, "message")) decode_ollama_message(*m, out);
      out.response += str(j, "response");
      ollama_final(j, out);
      break;
    case Api::kTgiGenerate: {
      const Json* r = j.is_array() && !j.empty() ? &j.front() : &j;
      out.response = str(*r, "generated_text");
      if (const Json* d = object(*r, "details")) {
        out.tokens_out = uint(*d, "generated_tokens");
        out.finish_reason = str(*d, "finish_reason");
      }
      break;
    }
    case Api::kLlamaCppCompletion:
      out.response = str(j, "content");
      out.tokens_in = uint(j, "tokens_evaluated");
      out.tokens_out = uint(j, "tokens_predicted");
      break;
  }
}

void StreamMerger::append(std::string& to, std::string_view text) {
  size_t room = max_ > to.size() ? max_ - to.size() : 0;
  if (text.size() > room) out_.body_truncated = true;
  to.append(text.substr(0, room));
}

LlmToolCall& StreamMerger::tool_at(size_t index) {
  for (auto [i, pos] : tool_index_) {
    if (i == index) return out_.tool_calls[pos];
  }
  tool_index_.emplace_back(index, out_.tool_calls.size());
  out_.tool_calls.emplace_back();
  return out_.tool_calls.back();
}

void StreamMerger::on_sse(const http::SseEvent& event) {
  if (event.data == "[DONE]") return;
  auto j = json_text::parse(event.data);
  if (!j || !j->is_object()) return;
  chunk(*j, event.event);
}

void StreamMerger::on_json_line(std::string_view line) {
  auto j = json_text::parse(line);
  if (!j || !j->is_object()) return;
  chunk(*j, {});
}

void StreamMerger::chunk(const Json& j, std::string_view sse_event) {
  if (std::string m = str(j, "model"); !m.empty()) out_.model = m;
  switch (api_) {
    case Api::kChatCompletions:
    case Api::kCompletions: {
      api_error(j, out_);
      if (const Json* choices = array(j, "choices")) {
        for (const Json& c : *choices) {
          if (const Json* d = object(c, "delta")) {
            append(out_.response, str(*d, "content"));
            if (const Json* calls = array(*d, "tool_calls")) {
              for (const Json& call : *calls) {
                LlmToolCall& t = tool_at(uint(call, "index").value_or(0));
                if (std::string id = str(call, "id"); !id.empty()) t.id = id;
                if (const Json* f = object(call, "function")) {
                  t.name += str(*f, "name");
                  append(t.args, str(*f, "arguments"));
                }
              }
            }
          }
          append(out_.response, str(c, "text"));
          if (std::string f = str(c, "finish_reason"); !f.empty()) out_.finish_reason = f;
        }
      }
      if (const Json* u = object(j, "usage")) {
        out_.tokens_in = uint(*u, "prompt_tokens");
        out_.tokens_out = uint(*u, "completion_tokens");
      }
      break;
    }
    case Api::kResponses: {
      std::string type = str(j, "type");
      if (type.empty()) type = sse_event;
      if (type == "response.output_text.delta") {
        append(out_.response, str(j, "delta"));
      } else if (type == "response.output_item.added") {
        if (const Json* item = object(j, "item"); item && str(*item, "type") == "function_call") {
          LlmToolCall& t = tool_at(uint(j, "output_index").value_or(0));
          t.id = str(*item, "call_id");
          t.name = str(*item, "name");
        }
      } else if (type == "response.function_call_arguments.delta") {
        append(tool_at(uint(j, "output_index").value_or(0)).args, str(j, "delta"));
      } else if (type == "response.completed" || type == "response.failed" || type == "response.incomplete") {
        // The final event carries the whole response: it replaces what the deltas built.
        if (const Json* r = object(j, "response")) {
          out_.response.clear();
          out_.tool_calls.clear();
          tool_index_.clear();
          decode_responses_output(*r, out_);
        }
      } else if (type == "error") {
        out_.error = str(j, "message");
      }
      break;
    }
    case Api::kMessages: {
      std::string type = str(j, "type");
      if (type == "message_start") {
        if (const Json* m = object(j, "message")) {
          if (std::string model = str(*m, "model"); !model.empty()) out_.model = model;
          if (const Json* u = object(*m, "usage")) {
            out_.tokens_in = uint(*u, "input_tokens");
            if (auto n = uint(*u, "output_tokens")) out_.tokens_out = n;
          }
        }
      } else if (type == "content_block_start") {
        const Json* block = object(j, "content_block");
        if (block && str(*block, "type") == "tool_use") {
          LlmToolCall& t = tool_at(uint(j, "index").value_or(0));
          t.id = str(*block, "id");
          t.name = str(*block, "name");
        } else if (block && str(*block, "type") == "text") {
          if (!out_.response.empty()) append(out_.response, "\n");
          append(out_.response, str(*block, "text"));
        }
      } else if (type == "content_block_delta") {
        if (const Json* d = object(j, "delta")) {
          std::string dt = str(*d, "type");
          if (dt == "text_delta") {
            append(out_.response, str(*d, "text"));
          } else if (dt == "input_json_delta") {
            append(tool_at(uint(j, "index").value_or(0)).args, str(*d, "partial_json"));
          }
        }
      } else if (type == "message_delta") {
        if (const Json* d = object(j, "delta")) {
          if (std::string r = str(*d, "stop_reason"); !r.empty()) out_.finish_reason = r;
        }
        if (const Json* u = object(j, "usage")) {
          if (auto n = uint(*u, "output_tokens")) out_.tokens_out = n;
          if (auto n = uint(*u, "input_tokens")) out_.tokens_in = n;
        }
      } else if (type == "error") {
        api_error(j, out_);
      }
      break;
    }
    case Api::kOllamaChat:
    case Api::kOllamaGenerate:
      api_error(j, out_);
      if (const Json* m = object(j, "message")) {
        append(out_.response, str(*m, "content"));
        if (const Json* calls = array(*m, "tool_calls")) {
          for (const Json& call : *calls) {
            const Json* f = object(call, "function");
            tool_call(str(call, "id"), f ? str(*f, "name") : std::string(), f ? member(*f, "arguments") : nullptr, out_);
          }
        }
      }
      append(out_.response, str(j, "response"));
      ollama_final(j, out_);
      break;
    case Api::kTgiGenerate:
      if (const Json* t = object(j, "token")) {
        const Json* special = member(*t, "special");
        if (!(special && special->is_boolean() && special->get<bool>())) append(out_.response, str(*t, "text"));
      }
      if (const Json* d = object(j, "details")) {
        if (auto n = uint(*d, "generated_tokens")) out_.tokens_out = n;
        if (std::string f = str(*d, "finish_reason"); !f.empty()) out_.finish_reason = f;
      }
      break;
    case Api::kLlamaCppCompletion:
      append(out_.response, str(j, "content"));
      if (auto n = uint(j, "tokens_evaluated")) out_.tokens_in = n;
      if (auto n = uint(j, "tokens_predicted")) out_.tokens_out = n;
      break;
  }
}

}  // namespace ztai::llm
