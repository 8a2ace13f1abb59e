#include "agent/rules/rule_tests.h"

#include <fcntl.h>
#include <netinet/in.h>

#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "agent/config/yaml_map.h"
#include "agent/rules/rule_compiler.h"
#include "agent/rules/quantity.h"
#include "agent/rules/rule_loader.h"
#include "agent/rules/sequence_engine.h"

namespace ztai::rules {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string rule;
  uint64_t event = 0;  // 1-based
  std::optional<std::string> output;
  std::string where;
};

struct Seen {
  std::string rule;
  uint64_t event = 0;
  std::string output;
};

bool is_file_event(EventType t) { return t >= EventType::kOpen && t <= EventType::kMemfdCreate; }

bool is_net_event(EventType t) {
  switch (t) {
    case EventType::kConnect:
    case EventType::kAccept:
    case EventType::kBind:
    case EventType::kListen:
    case EventType::kSendto:
    case EventType::kSendmsg:
    case EventType::kTcpClose: return true;
    default: return false;
  }
}

// open(2) flags by name, so tests read like strace.
Result<uint32_t> open_flags(YamlMap& m) {
  static const std::map<std::string, uint32_t, std::less<>> kFlags = {
      {"O_RDONLY", O_RDONLY}, {"O_WRONLY", O_WRONLY},     {"O_RDWR", O_RDWR},       {"O_CREAT", O_CREAT},
      {"O_EXCL", O_EXCL},     {"O_TRUNC", O_TRUNC},       {"O_APPEND", O_APPEND},   {"O_NONBLOCK", O_NONBLOCK},
      {"O_CLOEXEC", O_CLOEXEC}, {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW}, {"O_PATH", O_PATH},
      {"O_TMPFILE", O_TMPFILE}};
  auto names = m.get_string_list("flags");
  if (!names) return names.error();
  uint32_t flags = 0;
  for (const std::string& n : *names) {
    auto it = kFlags.find(n);
    if (it == kFlags.end()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: unknown open flag '{}'", m.where(m.get("flags")), n);
    }
    flags |= it->second;
  }
  return flags;
}

Result<IpAddress> address(YamlMap& m, std::string_view key, std::string def) {
  auto text = m.get_string(key, std::move(def));
  if (!text) return text.error();
  auto ip = IpAddress::parse(*text);
  if (!ip) return make_error(ErrorCode::kInvalidArgument, "{}: '{}' is not an IP address", m.where(m.get(key)), *text);
  return *ip;
}

// First error of a set of reads, if any.
const Error* first_error(std::initializer_list<const Error*> errors) {
  for (const Error* e : errors) {
    if (e) return e;
  }
  return nullptr;
}

template <typename T>
const Error* error_of(const Result<T>& r) {
  return r ? nullptr : &r.error();
}

// llm_request / llm_response as the stream decoder emits them: provider, model, prompt, tools
// offered, the model's answer and the tool calls it asked for.
Result<LlmPayload> llm_payload(YamlMap& m, bool response) {
  LlmPayload p;
  auto provider = m.get_string("provider", "openai");
  auto endpoint = m.get_string("endpoint", "chat.completions");
  auto model = m.get_string("model", "");
  auto host = m.get_string("host", "api.openai.com");
  auto path = m.get_string("path", "/v1/chat/completions");
  auto key = m.get_string("api_key_id", "");
  auto prompt = m.get_string("prompt", "");
  auto tools = m.get_string_list("tools");
  auto text = m.get_string("response", "");
  auto status = m.get_uint("status", response ? 200 : 0, 0, 999);
  auto tokens_in = m.get_uint("tokens_in", 0, 0, UINT32_MAX);
  auto tokens_out = m.get_uint("tokens_out", 0, 0, UINT32_MAX);
  if (const Error* e = first_error({error_of(provider), error_of(endpoint), error_of(model), error_of(host),
                                    error_of(path), error_of(key), error_of(prompt), error_of(tools), error_of(text),
                                    error_of(status), error_of(tokens_in), error_of(tokens_out)})) {
    return *e;
  }
  p.provider = *provider;
  p.endpoint = *endpoint;
  p.model = *model;
  p.api_key_id = *key;
  p.prompt = *prompt;
  p.tools = *tools;
  p.response = *text;
  p.http = {1, "POST", *host, *path, static_cast<uint32_t>(*status)};
  if (*tokens_in) p.tokens_in = *tokens_in;
  if (*tokens_out) p.tokens_out = *tokens_out;
  YAML::Node calls = m.get("tool_calls");
  if (calls.IsDefined() && !calls.IsSequence()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: tool_calls is a list of {{name, args}}", m.where(calls));
  }
  for (const YAML::Node& c : calls) {
    auto call = YamlMap::of(c, m.file(), "tool call");
    if (!call) return call.error();
    auto name = call->get_string("name", "");
    auto args = call->get_string("args", "{}");
    if (const Error* e = first_error({error_of(name), error_of(args)})) return *e;
    if (Status s = call->finish(); !s) return s.error();
    p.tool_calls.push_back({"call_" + std::to_string(p.tool_calls.size()), *name, *args});
  }
  return p;
}

// mcp_message: one JSON-RPC message of an MCP session.
Result<McpPayload> mcp_payload(YamlMap& m) {
  McpPayload p;
  auto kind = m.get_string("kind", "request");
  auto method = m.get_string("method", "");
  auto tool = m.get_string("tool", "");
  auto args = m.get_string("args", "");
  auto uri = m.get_string("uri", "");
  auto result = m.get_string("result", "");
  auto error = m.get_string("error", "");
  if (const Error* e = first_error({error_of(kind), error_of(method), error_of(tool), error_of(args), error_of(uri),
                                    error_of(result), error_of(error)})) {
    return *e;
  }
  static const std::map<std::string, McpKind, std::less<>> kKinds = {{"request", McpKind::kRequest},
                                                                     {"notification", McpKind::kNotification},
                                                                     {"result", McpKind::kResult},
                                                                     {"error", McpKind::kError}};
  auto k = kKinds.find(*kind);
  if (k == kKinds.end()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: kind is request, notification, result or error",
                      m.where(m.get("kind")));
  }
  p.kind = k->second;
  p.stream.transport = ChunkTransport::kPipe;
  p.id = p.kind == McpKind::kNotification ? "" : "1";
  p.method = *method;
  p.tool_name = *tool;
  p.tool_args = *args;
  p.resource_uri = *uri;
  p.result = *result;
  p.error = *error;
  return p;
}

// dns: the answer of a resolver (A or AAAA records for `query`), which later connects to those
// addresses carry in net.dns.names.
Result<DnsPayload> dns_payload(YamlMap& m) {
  auto query = m.get_string("query", "");
  auto answers = m.get_string_list("answers");
  auto ttl = m.get_uint("ttl", 300, 0, UINT32_MAX);
  auto resolver = address(m, "resolver", "127.0.0.53");
  if (const Error* e = first_error({error_of(query), error_of(answers), error_of(ttl), error_of(resolver)})) return *e;
  if (query->empty()) return make_error(ErrorCode::kInvalidArgument, "{}: dns needs query", m.where(m.node()));
  dns::Message msg;
  msg.is_response = true;
  msg.questions.push_back({*query, 1, 1});
  for (const std::string& a : *answers) {
    auto ip = IpAddress::parse(a);
    if (!ip) return make_error(ErrorCode::kInvalidArgument, "{}: '{}' is not an IP address", m.where(m.get("answers")), a);
    msg.answers.push_back({*query, static_cast<uint16_t>(ip->family == IpAddress::Family::kV4 ? 1 : 28), 1, static_cast<uint32_t>(*ttl), *ip, ""});
  }
  DnsPayload p;
  p.proto = IPPROTO_UDP;
  p.server = *resolver;
  p.server_port = 53;
  p.message = std::move(msg);
  return p;
}

// Turns test events into kernel-shaped events: pids become process keys, and a pid that execs
// keeps its key, as in the kernel.
class EventBuilder {
 public:
  // Without `t`, an event comes 1 ms after the one before it.
  Result<Event> build(YamlMap& m) {
    auto type = m.get_string("type", "");
    auto pid = m.get_uint("pid", 0, 1, UINT32_MAX);
    auto at = m.get_string("t", "");
    if (!type) return type.error();
    if (!pid) return pid.error();
    if (!at) return at.error();
    auto t = event_type_by_name(*type);
    if (!t) return make_error(ErrorCode::kInvalidArgument, "{}: unknown event type '{}'", m.where(m.get("type")), *type);
    Event e;
    e.hdr.type = *t;
    if (at->empty()) {
      now_ns_ += 1'000'000;
    } else {
      auto ns = parse_duration_ns(*at);
      if (!ns) {
        return make_error(ErrorCode::kInvalidArgument, "{}: t: expected a time since the test's start such as 250ms, "
                          "61s or 2m", m.where(m.get("t")));
      }
      now_ns_ = *ns;
    }
    e.hdr.boot_ns = now_ns_;
    e.hdr.tid = static_cast<uint32_t>(*pid);
    e.hdr.proc = key_of(static_cast<uint32_t>(*pid));
    auto cgroup = m.get_uint("cgroup", 1, 0, UINT64_MAX);
    if (!cgroup) return cgroup.error();
    e.hdr.cgroup_id = *cgroup;
    if (*t == EventType::kExec) {
      ExecPayload x;
      auto ppid = m.get_uint("ppid", 0, 0, UINT32_MAX);
      auto exe = m.get_string("exe", "");
      auto args = m.get_string_list("args");
      auto uid = m.get_uint("uid", 0, 0, UINT32_MAX);
      auto euid = m.get_uint("euid", uid ? *uid : 0, 0, UINT32_MAX);
      auto gid = m.get_uint("gid", 0, 0, UINT32_MAX);
      if (const Error* e = first_error({error_of(ppid), error_of(exe),
                               error_of(args), error_of(uid),
                               error_of(euid), error_of(gid)})) return *e;
      if (exe->empty()) return make_error(ErrorCode::kInvalidArgument, "{}: execve needs exe", m.where(m.node()));
      if (*ppid) x.parent = key_of(static_cast<uint32_t>(*ppid));
      x.filename = *exe;
      x.argv = args->empty() ? std::vector<std::string>{basename_of(*exe)} : *args;
      x.uid = static_cast<uint32_t>(*uid);
      x.euid = static_cast<uint32_t>(*euid);
      x.gid = x.egid = static_cast<uint32_t>(*gid);
      e.payload = std::move(x);
    } else if (*t == EventType::kFork) {
      auto child = m.get_uint("child", 0, 1, UINT32_MAX);
      if (!child) return child.error();
      if (!*child) return make_error(ErrorCode::kInvalidArgument, "{}: clone needs child", m.where(m.node()));
      auto c = static_cast<uint32_t>(*child);
      keys_[c] = ProcKey{c, ++ticks_};
      e.payload = ForkPayload{keys_[c], e.hdr.proc, e.hdr.cgroup_id, c};
    } else if (*t == EventType::kExit) {
      auto code = m.get_uint("exit_code", 0, 0, 255);
      auto sig = m.get_uint("signal", 0, 0, 127);
      auto core = m.get_bool("core_dumped", false);
      if (!code) return code.error();
      if (!sig) return sig.error();
      if (!core) return core.error();
      e.payload = ExitPayload{static_cast<uint32_t>((*code << 8) | *sig | (*core ? 0x80 : 0))};
    } else if (is_file_event(*t)) {
      FilePayload f;
      auto path = m.get_string("path", "");
      auto path2 = m.get_string("path2", "");
      auto flags = open_flags(m);
      auto mode = m.get_uint("mode", 0, 0, 07777);
      auto res = m.get_uint("errno", 0, 0, 4095);
      if (const Error* e = first_error({error_of(path), error_of(path2),
                               error_of(flags), error_of(mode),
                               error_of(res)})) return *e;
      if (path->empty() && *t != EventType::kMemfdCreate) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} needs path", m.where(m.node()), *type);
      }
      f.path = *path;
      f.path2 = *path2;
      f.flags = *flags;
      f.mode = static_cast<uint32_t>(*mode);
      // A successful open returns a descriptor; `errno: 13` makes the call fail with EACCES.
      f.res = *res ? -static_cast<int64_t>(*res) : 3;
      e.payload = std::move(f);
    } else if (is_net_event(*t)) {
      NetPayload n;
      auto proto = m.get_string("proto", "tcp");
      auto dip = address(m, "dip", "127.0.0.1");
      auto sip = address(m, "sip", "127.0.0.1");
      auto dport = m.get_uint("dport", 0, 0, 65535);
      auto sport = m.get_uint("sport", 40000, 0, 65535);
      auto res = m.get_uint("errno", 0, 0, 4095);
      auto bytes_out = m.get_uint("bytes_out", 0, 0, UINT64_MAX);
      auto bytes_in = m.get_uint("bytes_in", 0, 0, UINT64_MAX);
      if (const Error* e = first_error({error_of(proto), error_of(dip),
                               error_of(sip), error_of(dport),
                               error_of(sport), error_of(res), error_of(bytes_out), error_of(bytes_in)})) return *e;
      n.bytes_out = *bytes_out;
      n.bytes_in = *bytes_in;
      if (*proto != "tcp" && *proto != "udp") {
        return make_error(ErrorCode::kInvalidArgument, "{}: proto is tcp or udp", m.where(m.get("proto")));
      }
      n.proto = *proto == "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
      n.daddr = *dip;
      n.saddr = *sip;
      n.dport = static_cast<uint16_t>(*dport);
      n.sport = static_cast<uint16_t>(*sport);
      n.res = -static_cast<int64_t>(*res);
      n.fd = 3;
      e.payload = std::move(n);
    } else if (*t == EventType::kDns) {
      auto p = dns_payload(m);
      if (!p) return p.error();
      e.payload = std::move(*p);
    } else if (*t == EventType::kLlmRequest || *t == EventType::kLlmResponse) {
      auto p = llm_payload(m, *t == EventType::kLlmResponse);
      if (!p) return p.error();
      e.payload = std::move(*p);
    } else if (*t == EventType::kMcpMessage) {
      auto p = mcp_payload(m);
      if (!p) return p.error();
      e.payload = std::move(*p);
    } else {
      return make_error(ErrorCode::kUnsupported, "{}: rule tests cannot build '{}' events yet", m.where(m.node()), *type);
    }
    if (Status s = m.finish(); !s) return s.error();
    return e;
  }

 private:
  ProcKey key_of(uint32_t pid) {
    auto it = keys_.find(pid);
    if (it != keys_.end()) return it->second;
    return keys_[pid] = ProcKey{pid, ++ticks_};
  }

  std::map<uint32_t, ProcKey> keys_;
  uint64_t ticks_ = 1000;
  uint64_t now_ns_ = 0;
};

std::vector<std::string> test_files(const std::vector<std::string>& paths, RuleTestReport& report) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        auto ext = it->path().extension();
        if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      report.lines.push_back(fmt::format("FAIL {}: no such file or folder", p));
      ++report.failed;
    }
  }
  return out;
}

std::string describe(const std::vector<Seen>& alerts) {
  if (alerts.empty()) return "none";
  std::string out;
  for (const Seen& a : alerts) out += fmt::format("{}'{}' at event {}", out.empty() ? "" : ", ", a.rule, a.event);
  return out;
}

// Runs one test; the empty string when it passes, else why not.
Result<std::string> run_test(const YAML::Node& test, const std::string& file, const RuleSet& rules) {
  auto m = YamlMap::of(test, file, "test");
  if (!m) return m.error();
  YAML::Node events = m->get("events");
  YAML::Node expect = m->get("expect");
  m->get("name");
  if (Status s = m->finish(); !s) return s.error();
  if (!events.IsSequence() || events.size() == 0) {
    return make_error(ErrorCode::kInvalidArgument, "{}: a test needs a list of events", m->where(test));
  }
  if (!expect.IsDefined() || !(expect.IsSequence() || expect.IsNull())) {
    return make_error(ErrorCode::kInvalidArgument, "{}: a test needs expect: a list of alerts, or [] for none",
                      m->where(test));
  }
  std::vector<Expected> wanted;
  for (const YAML::Node& x : expect) {
    auto e = YamlMap::of(x, file, "expect");
    if (!e) return e.error();
    auto rule = e->get_string("rule", "");
    auto event = e->get_uint("event", 0, 1, events.size());
    if (!rule) return rule.error();
    if (!event) return event.error();
    Expected want{*rule, *event, std::nullopt, e->where(x)};
    if (YAML::Node o = e->get("output"); o.IsDefined()) want.output = o.Scalar();
    if (Status s = e->finish(); !s) return s.error();
    if (rule->empty() || !*event) {
      return make_error(ErrorCode::kInvalidArgument, "{}: an expected alert needs rule and event", e->where(x));
    }
    wanted.push_back(std::move(want));
  }

  MetricsRegistry metrics;
  ProcessTable table({}, "test-host", metrics);
  BootClock clock(0);
  EventBuilder builder;
  dns::NameTable dns_names;
  CausalChains chains;
  std::shared_ptr<const RuleSet> shared(&rules, [](const RuleSet*) {});
  RuleEvaluator evaluator(shared, MatchMode::kAll);
  // Sequence rules as in `ztai run`: events reordered by time within the default window.
  SequenceEngine sequences(shared, SequenceSettings{}, metrics, table, clock, "test-host");
  std::vector<SequenceAlert> sequence_alerts;
  std::map<uint64_t, uint64_t> event_of_order;  // observation order -> 1-based event index
  std::vector<Seen> seen;
  uint64_t index = 0;
  auto collect = [&] {
    for (SequenceAlert& a : sequence_alerts) seen.push_back({a.rule->name, event_of_order[a.order], a.alert.output});
    sequence_alerts.clear();
  };
  for (const YAML::Node& ev : events) {
    ++index;
    auto em = YamlMap::of(ev, file, "event");
    if (!em) return em.error();
    auto event = builder.build(*em);
    if (!event) return event.error();
    const ProcessInfo* proc = table.apply(*event);
    if (const auto* dns = event->as<DnsPayload>(); dns && dns->message) dns_names.learn(*dns->message, event->hdr.boot_ns);
    chains.observe(*event);
    std::optional<ChainLink> chain = chains.link(*event, proc, table, &dns_names);
    EventContext ctx{*event, proc, table, clock, nullptr, &dns_names, nullptr, chain ? &*chain : nullptr};
    for (const CompiledRule* r : evaluator.evaluate(ctx)) {
      seen.push_back({r->name, index, evaluator.alert(*r, ctx, "test-host").output});
    }
    for (const SequenceObservation& o : evaluator.observations()) event_of_order[o.order] = index;
    sequences.push(evaluator.observations(), event->hdr.boot_ns, sequence_alerts);
    collect();
  }
  sequences.flush(sequence_alerts);
  collect();

  std::string why;
  std::vector<bool> used(seen.size(), false);
  for (const Expected& w : wanted) {
    bool found = false;
    for (size_t i = 0; i < seen.size() && !found; ++i) {
      if (used[i] || seen[i].rule != w.rule || seen[i].event != w.event) continue;
      used[i] = true;
      found = true;
      if (w.output && *w.output != seen[i].output) {
        why += fmt::format("{}: '{}' at event {}: output\n      got:  {}\n      want: {}\n", w.where, w.rule, w.event,
                           seen[i].output, *w.output);
      }
    }
    if (!found) why += fmt::format("{}: expected '{}' at event {}, got {}\n", w.where, w.rule, w.event, describe(seen));
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!used[i]) why += fmt::format("unexpected alert '{}' at event {}: {}\n", seen[i].rule, seen[i].event, seen[i].output);
  }
  return why;
}

void run_file(const std::string& file, const FieldRegistry& registry, RuleTestReport& report) {
  auto fail = [&](const std::string& what) {
    report.lines.push_back(fmt::format("FAIL {}", what));
    ++report.failed;
  };
  auto root = yaml_load_file(file);
  if (!root) return fail(root.error().message());
  auto m = YamlMap::of(*root, file, "");
  if (!m) return fail(m.error().message());
  auto rule_paths = m->get_string_list("rules");
  YAML::Node tests = m->get("tests");
  if (!rule_paths) return fail(rule_paths.error().message());
  if (Status s = m->finish(); !s) return fail(s.error().message());
  if (rule_paths->empty()) return fail(fmt::format("{}: rules: name the rule files under test", file));
  if (!tests.IsSequence() || tests.size() == 0) return fail(fmt::format("{}: tests: expected a list of tests", file));

  std::vector<std::string> resolved;
  for (const std::string& p : *rule_paths) resolved.push_back((fs::path(file).parent_path() / p).lexically_normal().string());
  LoadedRules loaded = load_rules(resolved, false, registry);
  if (!loaded.rules) return fail(fmt::format("{}: the rules do not load:\n{}", file, loaded.diags.errors_text()));

  for (const YAML::Node& test : tests) {
    std::string name = test.IsMap() && test["name"] ? test["name"].Scalar() : yaml_where(file, test);
    auto why = run_test(test, file, *loaded.rules);
    if (!why) {
      fail(fmt::format("{}: {}: {}", yaml_where(file, test), name, why.error().message()));
    } else if (!why->empty()) {
      fail(fmt::format("{}: {}:\n    {}", yaml_where(file, test), name, *why));
    } else {
      report.lines.push_back(fmt::format("PASS {}: {}", file, name));
      ++report.passed;
    }
  }
}

}  // namespace

RuleTestReport run_rule_tests(const std::vector<std::string>& paths, const FieldRegistry& registry) {
  RuleTestReport report;
  for (const std::string& file : test_files(paths, report)) run_file(file, registry, report);
  return report;
}

}  // namespace ztai::rules
