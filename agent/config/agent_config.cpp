#include "agent/config/agent_config.h"

#include <charconv>

#include "agent/config/yaml_map.h"
#include "agent/protocols/dns/resolv_conf.h"

namespace ztai {
namespace {

bool is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

Status parse_kernel(YamlMap& root, KernelSettings& k) {
  auto m = root.get_map("kernel");
  if (!m) return m.error();
  const KernelSettings d;
  for (auto [key, field, def] : {std::tuple{"control_ring_bytes", &k.control_ring_bytes, d.control_ring_bytes},
                                 std::tuple{"data_ring_bytes", &k.data_ring_bytes, d.data_ring_bytes}}) {
    YAML::Node n = m->get(key);
    auto v = m->get_uint(key, def, 4096, 1ull << 30);
    if (!v) return v.error();
    // The kernel requires ring buffer sizes to be a power of two and a multiple of the page size.
    if (!is_power_of_two(*v)) {
      return make_error(ErrorCode::kInvalidArgument, "{}: kernel.{}: {} is not a power of two", m->where(n), key, *v);
    }
    *field = *v;
  }
  auto poll = m->get_uint("poll_interval_ms", d.poll_interval_ms, 1, 1000);
  auto wake = m->get_uint("wakeup_percent", d.wakeup_percent, 0, 100);
  auto args = m->get_uint("max_args_bytes", d.max_args_bytes, 0, 16384);
  auto tracefs = m->get_string("tracefs", d.tracefs);
  auto bpffs = m->get_string("bpffs", d.bpffs);
  for (const Error* e : {poll ? nullptr : &poll.error(), wake ? nullptr : &wake.error(),
                         args ? nullptr : &args.error(), tracefs ? nullptr : &tracefs.error(),
                         bpffs ? nullptr : &bpffs.error()}) {
    if (e) return *e;
  }
  k.poll_interval_ms = static_cast<uint32_t>(*poll);
  k.wakeup_percent = static_cast<uint32_t>(*wake);
  k.max_args_bytes = static_cast<uint32_t>(*args);
  k.tracefs = *tracefs;
  k.bpffs = *bpffs;
  return m->finish();
}

Status parse_process_table(YamlMap& root, ProcessTableConfig& p) {
  auto m = root.get_map("process_table");
  if (!m) return m.error();
  const ProcessTableConfig d;
  auto max = m->get_uint("max_processes", d.max_processes, 1024, 1u << 24);
  if (!max) return max.error();
  auto grace = m->get_uint("exited_grace_seconds", d.exited_grace_ns / 1'000'000'000, 0, 3600);
  if (!grace) return grace.error();
  p.max_processes = *max;
  p.exited_grace_ns = *grace * 1'000'000'000;
  return m->finish();
}

Status parse_output(YamlMap& root, OutputSettings& o) {
  auto m = root.get_map("output");
  if (!m) return m.error();
  const OutputSettings d;
  auto events = m->get_bool("events", d.events);
  if (!events) return events.error();
  auto cap = m->get_uint("queue_capacity", d.queue_capacity, 16, 1u << 24);
  if (!cap) return cap.error();
  o.events = *events;
  o.queue_capacity = static_cast<uint32_t>(*cap);
  YAML::Node outputs = m->get("outputs");
  if (outputs.IsDefined() && !outputs.IsNull()) {
    if (!outputs.IsSequence()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: output.outputs must be a list", m->where(outputs));
    }
    for (const YAML::Node& out : outputs) {
      if (!out.IsMap() || !out["type"] || !out["type"].IsScalar()) {
        return make_error(ErrorCode::kInvalidArgument, "{}: each output needs a 'type' (stdout, file, ...)",
                          m->where(out));
      }
      o.outputs.push_back(out);
    }
  }
  return m->finish();
}

Status parse_capture(YamlMap& root, CaptureSettings& c) {
  auto m = root.get_map("capture");
  if (!m) return m.error();
  auto tls = m->get_bool("tls", c.tls);
  if (!tls) return tls.error();
  auto go_tls = m->get_bool("go_tls", c.go_tls);
  if (!go_tls) return go_tls.error();
  auto max_call = m->get_uint("max_call_bytes", c.max_call_bytes, 0, 1u << 20);
  if (!max_call) return max_call.error();
  auto rescan = m->get_uint("rescan_seconds", c.rescan_seconds, 0, 3600);
  if (!rescan) return rescan.error();
  auto tls_sni = m->get_bool("tls_sni", c.tls_sni);
  if (!tls_sni) return tls_sni.error();
  c.tls_sni = *tls_sni;
  c.tls = *tls;
  c.go_tls = *go_tls;
  c.max_call_bytes = static_cast<uint32_t>(*max_call);
  c.rescan_seconds = static_cast<uint32_t>(*rescan);
  if (m->get("plain_ports")) {
    auto ports = m->get_string_list("plain_ports");
    if (!ports) return ports.error();
    c.plain_ports.clear();
    for (const std::string& p : *ports) {
      unsigned long v = 0;
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
      if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) {
        return make_error(ErrorCode::kInvalidArgument, "{}: capture.plain_ports: '{}' is not a port (1-65535)",
                          m->where(m->get("plain_ports")), p);
      }
      c.plain_ports.push_back(static_cast<uint16_t>(v));
    }
  }
  for (auto [key, list] : {std::pair{"mcp_stdio_servers", &c.mcp_stdio_servers}, {"mcp_stdio_clients", &c.mcp_stdio_clients}}) {
    if (!m->get(key)) continue;
    auto names = m->get_string_list(key);
    if (!names) return names.error();
    for (const std::string& n : *names) {
      if (n.empty()) {
        return make_error(ErrorCode::kInvalidArgument, "{}: capture.{}: an empty string would select every process",
                          m->where(m->get(key)), key);
      }
    }
    *list = std::move(*names);
  }
  return m->finish();
}

Status parse_api(YamlMap& root, ApiSettings& a) {
  auto m = root.get_map("api");
  if (!m) return m.error();
  auto listen = m->get_string("listen", ApiSettings{}.listen);
  if (!listen) return listen.error();
  // host:port with a numeric host; the server checks it at start-up with the same rule.
  if (!listen->empty() && (listen->rfind(':') == std::string::npos || listen->back() == ':')) {
    return make_error(ErrorCode::kInvalidArgument, "{}: api.listen: '{}' is not host:port", m->where(m->get("listen")),
                      *listen);
  }
  a.listen = *listen;
  auto control = m->get_string("control_socket", ApiSettings{}.control_socket);
  if (!control) return control.error();
  if (!control->empty() && control->front() != '/') {
    return make_error(ErrorCode::kInvalidArgument, "{}: api.control_socket: '{}' is not an absolute path",
                      m->where(m->get("control_socket")), *control);
  }
  a.control_socket = *control;
  return m->finish();
}

Status parse_fqdn(YamlMap& enforcement, FqdnSettings& f) {
  auto m = enforcement.get_map("fqdn");
  if (!m) return m.error();
  const FqdnSettings d;
  constexpr uint64_t kDay = 86400;
  auto min_ttl = m->get_uint("min_ttl_seconds", d.min_ttl_seconds, 1, kDay);
  if (!min_ttl) return min_ttl.error();
  f.min_ttl_seconds = static_cast<uint32_t>(*min_ttl);
  auto grace = m->get_uint("grace_seconds", d.grace_seconds, 0, kDay);
  if (!grace) return grace.error();
  f.grace_seconds = static_cast<uint32_t>(*grace);
  auto resolvers = m->get_string_list("resolvers");
  if (!resolvers) return resolvers.error();
  YAML::Node items = m->get("resolvers");
  for (size_t i = 0; i < resolvers->size(); i++) {
    if (auto server = dns::parse_dns_server((*resolvers)[i]); !server) {
      return make_error(ErrorCode::kInvalidArgument, "{}: enforcement.fqdn.resolvers: {}", m->where(items[i]),
                        server.error().message());
    }
  }
  f.resolvers = *resolvers;
  return m->finish();
}

Status parse_audit(YamlMap& root, AuditSettings& a) {
  auto m = root.get_map("audit");
  if (!m) return m.error();
  const AuditSettings d;
  auto ai = m->get_bool("ai", d.ai);
  if (!ai) return ai.error();
  auto content = m->get_bool("content", d.content);
  if (!content) return content.error();
  auto max = m->get_uint("max_content_bytes", d.max_content_bytes, 0, 1u << 20);
  if (!max) return max.error();
  a.ai = *ai;
  a.content = *content;
  a.max_content_bytes = static_cast<uint32_t>(*max);
  return m->finish();
}

Status parse_enforcement(YamlMap& root, EnforcementSettings& e) {
  auto m = root.get_map("enforcement");
  if (!m) return m.error();
  auto policies = m->get_string_list("policies");
  if (!policies) return policies.error();
  e.policies = *policies;
  auto root_cgroup = m->get_string("root_cgroup", "");
  if (!root_cgroup) return root_cgroup.error();
  if (!root_cgroup->empty() && root_cgroup->front() != '/') {
    return make_error(ErrorCode::kInvalidArgument, "{}: enforcement.root_cgroup: '{}' is not an absolute path",
                      m->where(m->get("root_cgroup")), *root_cgroup);
  }
  e.root_cgroup = *root_cgroup;
  auto persist = m->get_bool("persist", false);
  if (!persist) return persist.error();
  e.persist = *persist;
  auto pin_root = m->get_string("pin_root", EnforcementSettings{}.pin_root);
  if (!pin_root) return pin_root.error();
  while (pin_root->size() > 1 && pin_root->back() == '/') pin_root->pop_back();
  if (pin_root->empty() || pin_root->front() != '/' || *pin_root == "/") {
    return make_error(ErrorCode::kInvalidArgument, "{}: enforcement.pin_root: '{}' is not an absolute directory",
                      m->where(m->get("pin_root")), *pin_root);
  }
  e.pin_root = *pin_root;
  auto dir = m->get_string("policies_dir", "");
  if (!dir) return dir.error();
  e.policies_dir = *dir;
  if (Status st = parse_fqdn(*m, e.fqdn); !st) return st;
  return m->finish();
}

Status parse_rules(YamlMap& root, RulesSettings& r) {
  auto m = root.get_map("rules");
  if (!m) return m.error();
  const RulesSettings d;
  if (m->get("paths").IsDefined()) {
    auto paths = m->get_string_list("paths");
    if (!paths) return paths.error();
    r.paths = *paths;
  }
  auto match = m->get_string("match", d.match_first ? "first" : "all");
  if (!match) return match.error();
  if (*match != "all" && *match != "first") {
    return make_error(ErrorCode::kInvalidArgument, "{}: rules.match: '{}' is not all or first", m->where(m->get("match")),
                      *match);
  }
  r.match_first = *match == "first";
  auto watch = m->get_uint("watch_interval_seconds", d.watch_interval_seconds, 0, 3600);
  if (!watch) return watch.error();
  r.watch_interval_seconds = static_cast<uint32_t>(*watch);
  auto burst = m->get_uint("alerts_per_window", d.alerts_per_window, 0, 1'000'000);
  if (!burst) return burst.error();
  r.alerts_per_window = static_cast<uint32_t>(*burst);
  auto window = m->get_uint("alert_window_seconds", d.alert_window_seconds, 1, 86400);
  if (!window) return window.error();
  r.alert_window_seconds = static_cast<uint32_t>(*window);
  auto reorder = m->get_uint("reorder_window_ms", d.reorder_window_ms, 0, 10'000);
  if (!reorder) return reorder.error();
  r.reorder_window_ms = static_cast<uint32_t>(*reorder);
  auto states = m->get_uint("sequence_max_states", d.sequence_max_states, 1, 10'000'000);
  if (!states) return states.error();
  r.sequence_max_states = static_cast<uint32_t>(*states);
  auto bundles = m->get_string("bundles_dir", d.bundles_dir);
  if (!bundles) return bundles.error();
  r.bundles_dir = *bundles;
  return m->finish();
}

Status parse_file_sensor(YamlMap& root, FileSensorSettings& f) {
  auto m = root.get_map("file_sensor");
  if (!m) return m.error();
  auto mode = m->get_string("mode", f.mode);
  if (!mode) return mode.error();
  if (*mode != "rules" && *mode != "all" && *mode != "off") {
    return make_error(ErrorCode::kInvalidArgument, "{}: file_sensor.mode: '{}' is not one of rules, all, off",
                      m->where(m->get("mode")), *mode);
  }
  f.mode = *mode;
  YAML::Node watch = m->get("watch");
  auto patterns = m->get_string_list("watch");
  if (!patterns) return patterns.error();
  for (size_t i = 0; i < patterns->size(); ++i) {
    auto p = parse_path_pattern((*patterns)[i]);
    if (!p) return p.error().context(m->where(watch[i]));
    f.watch.push_back(*p);
  }
  return m->finish();
}

Status parse_kubernetes(YamlMap& identity, KubernetesSettings& k) {
  auto m = identity.get_map("kubernetes");
  if (!m) return m.error();
  const KubernetesSettings d;
  auto enabled = m->get_string("enabled", d.enabled);
  auto server = m->get_string("api_server", d.api_server);
  auto kubeconfig = m->get_string("kubeconfig", d.kubeconfig);
  auto token = m->get_string("token_file", d.token_file);
  auto ca = m->get_string("ca_file", d.ca_file);
  auto timeout = m->get_uint("watch_timeout_seconds", d.watch_timeout_seconds, 10, 3600);
  auto retry = m->get_uint("retry_max_seconds", d.retry_max_seconds, 1, 600);
  for (const Error* e : {enabled ? nullptr : &enabled.error(), server ? nullptr : &server.error(),
                         kubeconfig ? nullptr : &kubeconfig.error(), token ? nullptr : &token.error(),
                         ca ? nullptr : &ca.error(), timeout ? nullptr : &timeout.error(),
                         retry ? nullptr : &retry.error()}) {
    if (e) return *e;
  }
  if (*enabled != "auto" && *enabled != "true" && *enabled != "false") {
    return make_error(ErrorCode::kInvalidArgument, "{}: identity.kubernetes.enabled: '{}' is not auto, true or false",
                      m->where(m->get("enabled")), *enabled);
  }
  k.enabled = *enabled;
  k.api_server = *server;
  k.kubeconfig = *kubeconfig;
  k.token_file = *token;
  k.ca_file = *ca;
  k.watch_timeout_seconds = static_cast<uint32_t>(*timeout);
  k.retry_max_seconds = static_cast<uint32_t>(*retry);
  return m->finish();
}

Status parse_exe_hash(YamlMap& identity, ExeHashSettings& h) {
  auto m = identity.get_map("exe_hash");
  if (!m) return m.error();
  const ExeHashSettings d;
  auto enabled = m->get_bool("enabled", d.enabled);
  if (!enabled) return enabled.error();
  auto max = m->get_uint("max_file_bytes", d.max_file_bytes, 4096, 1ull << 40);
  if (!max) return max.error();
  auto cache = m->get_uint("cache_entries", d.cache_entries, 16, 1u << 24);
  if (!cache) return cache.error();
  h.enabled = *enabled;
  h.max_file_bytes = *max;
  h.cache_entries = static_cast<uint32_t>(*cache);
  return m->finish();
}

Status parse_identity(YamlMap& root, IdentitySettings& i) {
  auto m = root.get_map("identity");
  if (!m) return m.error();
  const IdentitySettings d;
  auto domain = m->get_string("trust_domain", d.trust_domain);
  if (!domain) return domain.error();
  // SPIFFE trust domains: lower-case letters, digits, '.', '-' and '_' (SPIFFE ID spec, 2.1).
  if (domain->empty() || domain->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-_") != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: identity.trust_domain: '{}' may hold only lower-case letters, digits, '.', '-' and '_'",
                      m->where(m->get("trust_domain")), *domain);
  }
  auto node = m->get_string("node_name", d.node_name);
  if (!node) return node.error();
  auto max = m->get_uint("max_cgroups", d.max_cgroups, 256, 1u << 24);
  if (!max) return max.error();
  i.trust_domain = *domain;
  i.node_name = *node;
  i.max_cgroups = static_cast<uint32_t>(*max);
  for (Status s : {parse_kubernetes(*m, i.kubernetes), parse_exe_hash(*m, i.exe_hash), m->finish()}) {
    if (!s) return s.error();
  }
  return {};
}

}  // namespace

AgentConfig default_agent_config() {
  AgentConfig c;
  c.output.outputs.push_back(YAML::Load("{type: stdout}"));
  return c;
}

Result<AgentConfig> parse_agent_config(const YAML::Node& root, const std::string& file) {
  auto m = YamlMap::of(root, file, "");
  if (!m) return m.error();
  AgentConfig c;
  c.file = file;
  auto level = m->get_string("log_level", c.log_level);
  if (!level) return level.error();
  if (*level != "debug" && *level != "info" && *level != "warn" && *level != "error") {
    return make_error(ErrorCode::kInvalidArgument, "{}: log_level: '{}' is not one of debug, info, warn, error",
                      m->where(m->get("log_level")), *level);
  }
  c.log_level = *level;
  auto lock = m->get_string("lock_file", c.lock_file);
  if (!lock) return lock.error();
  c.lock_file = *lock;
  if (Status s = parse_enforcement(*m, c.enforcement); !s) return s.error();
  for (Status s : {parse_kernel(*m, c.kernel), parse_process_table(*m, c.process_table), parse_identity(*m, c.identity),
                   parse_output(*m, c.output), parse_api(*m, c.api), parse_rules(*m, c.rules), parse_file_sensor(*m, c.file_sensor),
                   parse_capture(*m, c.capture), parse_audit(*m, c.audit),
                   m->finish()}) {
    if (!s) return s.error();
  }
  if (c.output.outputs.empty()) c.output.outputs.push_back(YAML::Load("{type: stdout}"));
  return c;
}

Result<AgentConfig> load_agent_config(const std::string& path) {
  auto root = yaml_load_file(path);
  if (!root) return root.error();
  return parse_agent_config(*root, path);
}

}  // namespace ztai
