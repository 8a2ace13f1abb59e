#include "agent/detect/chain/causal_chains.h"

#include <algorithm>

namespace ztai {
namespace {

constexpr size_t kMaxReferences = 64;

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+';
}

// Where a path or a URL ends inside JSON or a shell command line.
bool path_end(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == '`' || c == ',' || c == ';' || c == '|' ||
         c == '&' || c == '(' || c == ')' || c == '<' || c == '>' || c == '\\' || c == '}' || c == ']';
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (v.size() < kMaxReferences && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

std::string capped(std::string_view s, size_t max) { return std::string(s.substr(0, max)); }

// Does the action's path fall under a path the tool call named?
bool path_matches(std::string_view path, std::string_view named) {
  if (named.starts_with("~/")) {
    // The home directory is not known here: any home's copy of that path matches.
    std::string_view rest = named.substr(1);
    return path.ends_with(rest) || path.find(std::string(rest) + "/") != std::string_view::npos;
  }
  if (path == named) return true;
  if (named.ends_with('/')) return path.starts_with(named);
  return path.starts_with(named) && path.size() > named.size() && path[named.size()] == '/';
}

bool is_file_event(EventType t) { return t >= EventType::kOpen && t <= EventType::kMemfdCreate; }

std::optional<std::string> match(const ToolIntent& intent, const Event& event, const dns::NameTable* dns_names) {
  if (const ExecPayload* x = event.as<ExecPayload>()) {
    std::string program = basename_of(x->filename);
    if (std::find(intent.words.begin(), intent.words.end(), program) != intent.words.end()) return "program " + program;
    for (const std::string& p : intent.paths) {
      if (path_matches(x->filename, p)) return "path " + x->filename;
    }
    return std::nullopt;
  }
  if (const FilePayload* f = event.as<FilePayload>(); f && is_file_event(event.hdr.type)) {
    for (const std::string* path : {&f->path, &f->path2}) {
      if (path->empty()) continue;
      for (const std::string& p : intent.paths) {
        if (path_matches(*path, p)) return "path " + *path;
      }
    }
    return std::nullopt;
  }
  if (const NetPayload* n = event.as<NetPayload>(); n && event.hdr.type == EventType::kConnect) {
    std::string ip = n->daddr.to_string();
    std::vector<std::string> names;
    if (dns_names) names = dns_names->names_for(n->daddr, event.hdr.boot_ns);
    for (const std::string& h : intent.hosts) {
      if (h == ip || std::find(names.begin(), names.end(), h) != names.end()) return "host " + h;
    }
  }
  return std::nullopt;
}

}  // namespace

void extract_references(std::string_view args, ToolIntent& intent) {
  // JSON escapes "/" as "\/"; undo it so paths and URLs read as written.
  std::string text;
  text.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == '\\' && i + 1 < args.size() && args[i + 1] == '/') continue;
    text.push_back(args[i]);
  }
  for (size_t i = 0; i < text.size();) {
    size_t scheme = text.find("://", i);
    if (scheme == i || (scheme != std::string::npos && scheme > i && std::all_of(text.begin() + i, text.begin() + scheme, word_char))) {
      size_t h = scheme + 3, e = h;
      while (e < text.size() && !path_end(text[e]) && text[e] != '/' && text[e] != ':' && text[e] != '?' && text[e] != '#') ++e;
      if (e > h) add_unique(intent.hosts, text.substr(h, e - h));
      while (e < text.size() && !path_end(text[e])) ++e;
      i = e;
      continue;
    }
    char c = text[i];
    bool at_token_start = i == 0 || path_end(text[i - 1]) || text[i - 1] == '=' || text[i - 1] == ':' ||
                          text[i - 1] == '{' || text[i - 1] == '[';
    if (at_token_start && (c == '/' || (c == '~' && i + 1 < text.size() && text[i + 1] == '/'))) {
      size_t e = i;
      while (e < text.size() && !path_end(text[e])) ++e;
      if (e - i > 1) add_unique(intent.paths, text.substr(i, e - i));
      i = e;
      continue;
    }
    if (word_char(c)) {
      size_t e = i;
      while (e < text.size() && word_char(text[e])) ++e;
      std::string w = text.substr(i, e - i);
      bool numeric = std::all_of(w.begin(), w.end(), [](char d) { return (d >= '0' && d <= '9') || d == '.'; });
      if (w.size() >= 2 && !numeric) add_unique(intent.words, std::move(w));
      i = e;
      continue;
    }
    ++i;
  }
}

CausalChains::PerProcess& CausalChains::slot(const ProcKey& key, uint64_t now_ns) {
  auto it = intents_.find(key);
  if (it == intents_.end()) {
    if (intents_.size() >= settings_.max_processes) {
      auto oldest = std::min_element(intents_.begin(), intents_.end(),
                                     [](const auto& a, const auto& b) { return a.second.touched_ns < b.second.touched_ns; });
      intents_.erase(oldest);
    }
    it = intents_.emplace(key, PerProcess{}).first;
  }
  it->second.touched_ns = now_ns;
  return it->second;
}

void CausalChains::add(const EventHeader& hdr, ToolIntent intent) {
  PerProcess& p = slot(hdr.proc, hdr.boot_ns);
  intent.boot_ns = hdr.boot_ns;
  intent.asker = hdr.proc;
  if (intent.prompt.empty()) intent.prompt = p.last_prompt;
  if (intent.model.empty()) intent.model = p.last_model;
  extract_references(intent.args, intent);
  intent.args = capped(intent.args, settings_.max_text);
  p.intents.push_back(std::move(intent));
  while (p.intents.size() > settings_.intents_per_process) p.intents.pop_front();
}

void CausalChains::observe(const Event& event) {
  if (const LlmPayload* l = event.as<LlmPayload>()) {
    // A model server writes the tool calls; the client that reads them is the one that acts.
    if (l->server_side) return;
    if (event.hdr.type == EventType::kLlmRequest) {
      if (l->prompt.empty()) return;
      PerProcess& p = slot(event.hdr.proc, event.hdr.boot_ns);
      p.last_prompt = capped(l->prompt, settings_.max_text);
      p.last_model = l->model;
      return;
    }
    for (const LlmToolCall& call : l->tool_calls) {
      ToolIntent intent;
      intent.source = "llm";
      intent.tool = call.name;
      intent.args = call.args;
      intent.model = l->model;
      add(event.hdr, std::move(intent));
    }
    return;
  }
  if (const McpPayload* m = event.as<McpPayload>(); m && m->kind == McpKind::kRequest && m->method == "tools/call") {
    ToolIntent intent;
    intent.source = "mcp";
    intent.tool = m->tool_name;
    intent.args = m->tool_args;
    add(event.hdr, std::move(intent));
  }
}

std::optional<ChainLink> CausalChains::link(const Event& event, const ProcessInfo* proc, const ProcessTable& processes,
                                            const dns::NameTable* dns_names) const {
  if (intents_.empty() || !proc) return std::nullopt;
  const ProcessInfo* p = proc;
  for (size_t depth = 0; p && depth <= settings_.max_depth; ++depth, p = processes.parent_of(*p)) {
    auto it = intents_.find(p->key);
    if (it == intents_.end()) continue;
    const auto& intents = it->second.intents;
    for (auto i = intents.rbegin(); i != intents.rend(); ++i) {
      if (i->boot_ns > event.hdr.boot_ns) continue;
      uint64_t age = event.hdr.boot_ns - i->boot_ns;
      if (age > settings_.window_ns) break;  // older ones are older still
      if (auto matched = match(*i, event, dns_names)) return ChainLink{&*i, std::move(*matched), age};
    }
  }
  return std::nullopt;
}

}  // namespace ztai
