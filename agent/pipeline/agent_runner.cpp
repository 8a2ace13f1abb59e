#include "agent/pipeline/agent_runner.h"

#include <unistd.h>

#include "agent/common/clock.h"
#include "agent/common/log.h"
#include "agent/common/mounts.h"
#include "agent/identity/identity_service.h"
#include "agent/identity/kube_object_folder.h"
#include "agent/identity/procfs.h"
#include "agent/enforce/policy_service.h"
#include "agent/capture/stdio_selector.h"
#include "agent/capture/tls_attacher.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/enforcement_pins.h"
#include "agent/policy/policy_object.h"
#include "agent/kernel/preflight.h"
#include "agent/kernel/self_guard.h"
#include "agent/kernel/ring_reader.h"
#include "agent/pipeline/event_processor.h"
#include "agent/pipeline/output_stage.h"
#include "agent/api/control_server.h"
#include "agent/api/metrics_server.h"
#include "agent/pipeline/quarantine_desk.h"
#include "agent/rules/rule_loader.h"
#include "agent/rules/file_interest.h"
#include "agent/rules/net_interest.h"
#include "agent/rules/rule_bundles.h"
#include "agent/rules/rule_reloader.h"
#include "agent/service/instance_lock.h"
#include "bpf/abi/policy.h"

namespace ztai {
namespace {

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

// Kernel drops are never silent: a metric, and a warning each time the count grows.
class DropWatch {
 public:
  DropWatch(const BpfPrograms& programs, MetricsRegistry& metrics) : programs_(programs) {
    metrics.add_collector([this](std::vector<MetricSample>& out) {
      auto c = programs_.read_counters();
      if (!c) return;
      const char* help = "Records lost in the kernel because a ring buffer was full";
      out.push_back({"ztai_kernel_ring_drops_total", help, MetricKind::kCounter, {{"ring", "control"}},
                     static_cast<double>(c->control_drops)});
      out.push_back({"ztai_kernel_ring_drops_total", help, MetricKind::kCounter, {{"ring", "data"}},
                     static_cast<double>(c->data_drops)});
      out.push_back({"ztai_kernel_file_filtered_total", "File events dropped in the kernel: no rule or policy wanted them",
                     MetricKind::kCounter, {}, static_cast<double>(c->file_filtered)});
      out.push_back({"ztai_kernel_read_errors_total", "Kernel reads that failed (records went out incomplete)",
                     MetricKind::kCounter, {}, static_cast<double>(c->read_errors)});
      out.push_back({"ztai_kernel_net_untracked_total",
                     "Network calls or TCP connections the kernel could not track (map full): their records were lost",
                     MetricKind::kCounter, {}, static_cast<double>(c->net_untracked)});
      out.push_back({"ztai_kernel_net_filtered_total",
                     "Network, DNS and blind-spot events no rule asked for, dropped in the kernel",
                     MetricKind::kCounter, {}, static_cast<double>(c->net_filtered)});
      out.push_back({"ztai_kernel_data_truncated_bytes_total",
                     "Plaintext bytes past the per-call capture cap (capture.max_call_bytes), not copied",
                     MetricKind::kCounter, {}, static_cast<double>(c->data_truncated)});
    });
  }

  void check() {
    auto c = programs_.read_counters();
    if (!c) return;
    if (c->control_drops > last_.control_drops) {
      log::warn("the kernel dropped {} control records (process lifecycle, decisions): raise kernel.control_ring_bytes",
                c->control_drops - last_.control_drops);
    }
    if (c->data_drops > last_.data_drops) {
      log::warn("the kernel dropped {} data records: raise kernel.data_ring_bytes", c->data_drops - last_.data_drops);
    }
    last_ = *c;
  }

 private:
  const BpfPrograms& programs_;
  KernelCounters last_;
};

Status run_until_stopped(const AgentConfig& config, const std::atomic<bool>& stop, const RunHooks& hooks);

// What the kernel's file filter lets through: what the rules can match, plus the configured
// paths, unless the operator switched the sensor to all or off.
FileInterest file_interest(const FileSensorSettings& settings, const FileInterest& from_rules) {
  FileInterest interest;
  if (settings.mode == "off") return interest;
  if (settings.mode == "all") {
    interest.enabled = interest.all_paths = true;
    return interest;
  }
  interest = from_rules;
  FileInterest watched;
  watched.enabled = !settings.watch.empty();
  watched.patterns = settings.watch;
  interest.merge(watched);
  return interest;
}

}  // namespace

Status run_agent(const AgentConfig& config, const std::atomic<bool>& stop, const RunHooks& hooks) {
  // Everything the run creates is destroyed in reverse order on return: the outputs drain, then
  // the programs are detached.
  Status s = run_until_stopped(config, stop, hooks);
  if (s) log::info("stopped: programs detached");
  return s;
}

namespace {

Status run_until_stopped(const AgentConfig& config, const std::atomic<bool>& stop, const RunHooks& hooks) {
  // Before anything else: a second agent must not touch the first one's kernel state.
  std::optional<InstanceLock> lock;
  if (!config.lock_file.empty()) {
    auto acquired = InstanceLock::acquire(config.lock_file);
    if (!acquired) return acquired.error().context(fmt::format("{}: lock_file", config.file));
    lock.emplace(std::move(*acquired));
  }
  MetricsRegistry metrics;
  BootClock clock;

  // Rules first: a malformed rule file stops the start-up before anything is loaded in the kernel.
  // The CRDs' objects (RuleBundle, WorkloadPolicy) join the rule and policy files while the agent
  // reaches the Kubernetes API; kept as files, the last ones seen load even when it does not.
  std::optional<KubeApiConfig> crd_api;
  if (auto api = kube_api_config(config.identity.kubernetes)) crd_api = *api;
  auto crd_watch = [&](const char* path, const char* what, const char* resource, const char* metrics_name) {
    KubeWatchSettings w;
    w.api = *crd_api;
    w.path = path;
    w.what = what;
    w.resource = resource;
    w.metric_prefix = metrics_name;
    w.watch_timeout_seconds = config.identity.kubernetes.watch_timeout_seconds;
    w.retry_max_ms = config.identity.kubernetes.retry_max_seconds * 1000;
    return w;
  };
  const bool bundles_on = crd_api && !config.rules.bundles_dir.empty() && !config.rules.paths_required;
  std::vector<std::string> rule_paths = config.rules.paths;
  if (bundles_on) rule_paths.push_back(config.rules.bundles_dir);
  rules::LoadedRules initial = rules::load_rules(rule_paths, !config.rules.paths_required, builtin_fields());
  for (const rules::Diagnostic& d : initial.diags.all()) {
    if (d.severity == rules::Diagnostic::Severity::kWarning) log::warn("{}", d.str());
  }
  if (!initial.rules) {
    return make_error(ErrorCode::kInvalidArgument, "the rules have {} errors:\n{}", initial.diags.error_count(),
                      initial.diags.errors_text());
  }
  if (initial.rules->rules().empty()) {
    log::warn("no rules found under {}: no alerts will be raised", fmt::join(config.rules.paths, ", "));
  } else {
    log::info("{} rules loaded from {} files", initial.rules->rules().size(), initial.files.size());
  }
  FileInterest rules_file_interest = rules::file_interest_of(*initial.rules);
  const uint32_t rules_net_skip = rules::net_skip_mask(*initial.rules);
  const size_t rule_count = initial.rules->rules().size();
  rules::RuleSetHandoff rule_handoff;
  rule_handoff.publish(std::move(initial.rules));

  auto specs = create_outputs(config.output.outputs, builtin_exporters(), metrics, config.file,
                              config.output.queue_capacity);
  if (!specs) return specs.error();
  auto channels = create_channels(std::move(*specs), metrics);
  if (!channels) return channels.error();
  std::unique_ptr<MetricsServer> api;
  if (!config.api.listen.empty()) {
    auto server = MetricsServer::start(config.api.listen, metrics);
    if (!server) return server.error().context(fmt::format("{}: api.listen", config.file));
    api = std::move(*server);
    log::info("metrics on http://{}/metrics", config.api.listen);
  }

  if (Status s = run_preflight({config.kernel.tracefs, config.kernel.bpffs}); !s) return s;
  KernelFeatures features = probe_kernel_features();
  for (const Feature& f : features.features) {
    if (!f.available) log::info("kernel feature {} is unavailable: {}", f.name, f.detail);
  }

  LoaderSettings loader;
  loader.control_ring_bytes = config.kernel.control_ring_bytes;
  loader.data_ring_bytes = config.kernel.data_ring_bytes;
  loader.wakeup_percent = config.kernel.wakeup_percent;
  loader.max_args_bytes = config.kernel.max_args_bytes;
  loader.self_tgid = static_cast<uint32_t>(getpid());
  loader.data_max_call_bytes = config.capture.max_call_bytes;
  if (!config.capture.tls) loader.families_off.push_back("tls");
  if (!config.capture.go_tls) loader.families_off.push_back("tls_go");
  // Persisting needs policies to enforce; without, whatever an earlier agent pinned is removed.
  const bool enforcing = !config.enforcement.policies.empty() || (crd_api && !config.enforcement.policies_dir.empty());
  auto pins = EnforcementPins::open({config.enforcement.persist && enforcing, config.enforcement.pin_root},
                                    ZTAI_POLICY_ABI_VERSION);
  if (!pins) return pins.error().context(config.file);
  loader.pins = pins->get();
  auto programs = BpfPrograms::load(loader, features);
  if (!programs) return programs.error();
  const bool file_sensor = (*programs)->family_loaded("file");
  if (file_sensor) {
    if (Status s = (*programs)->file_filter().apply(file_interest(config.file_sensor, rules_file_interest)); !s) {
      return s;
    }
  }

  // --events lists every event; otherwise the kernel drops network events no rule can match.
  auto net_skip = [&](uint32_t mask) { return config.output.events ? 0u : mask; };
  if (Status s = (*programs)->skip_net_events(net_skip(rules_net_skip)); !s) return s;

  // Seed after attaching: a process started in between is in /proc or in the ring, never lost.
  std::string cgroup2;
  if (auto mounts = read_mounts()) cgroup2 = find_mount(*mounts, "cgroup2").value_or("");
  ProcessTable processes(config.process_table, host_name(), metrics);
  size_t seeded = processes.seed(Procfs("/proc", cgroup2));
  // After attaching too: a cgroup made in between is in the scan or in a cgroup_mkdir record.
  auto identity = IdentityService::start(config.identity, {host_name()}, metrics);
  if (!identity) return identity.error();

  OutputStage output(std::move(*channels));
  EventProcessor processor({config.output.events, host_name()}, processes, output, clock, metrics,
                           &(*identity)->resolver());
  if (ExeHasher* hashes = (*identity)->exe_hashes()) processor.use_exe_hashes(*hashes);
  processor.use_audit(config.audit);
  // Policies after identity, since selectors need cgroup paths and pods; a bad policy file stops
  // the start-up. Without policy paths nothing is attached and no connect is checked.
  std::unique_ptr<enforce::PolicyService> policies;
  std::vector<std::string> policy_paths = config.enforcement.policies;
  std::unique_ptr<KubeFolderSync> policy_objects;
  if (crd_api && !config.enforcement.policies_dir.empty()) {
    // The policy service notices changed files in the folder and reloads them itself.
    auto sync = KubeFolderSync::start(crd_watch(policy::kWorkloadPoliciesPath, "workload policies",
                                                "workloadpolicies.ztai.io", "ztai_k8s_workloadpolicies"),
                                      config.enforcement.policies_dir, policy::policy_file_of, {}, metrics);
    if (!sync) return sync.error().context(fmt::format("{}: enforcement.policies_dir", config.file));
    policy_objects = std::move(*sync);
    policy_paths.push_back(config.enforcement.policies_dir);
    log::info("WorkloadPolicy objects from {} are kept in {}", crd_api->server, config.enforcement.policies_dir);
  }
  if (!policy_paths.empty()) {
    auto mounts_now = read_mounts();
    bool hybrid = mounts_now && has_cgroup_v1_mounts(*mounts_now);
    enforce::PolicyServiceSettings policy_settings{policy_paths, cgroup2, config.enforcement.root_cgroup, hybrid};
    policy_settings.pins = pins->get();
    policy_settings.fqdn = config.enforcement.fqdn;
    if ((*identity)->pods()) {
      policy_settings.node_name = (*identity)->node_name();
      policy_settings.cluster_pods = [id = identity->get()] { return id->cluster_pods(); };
    }
    auto started = enforce::PolicyService::start(policy_settings, **programs, (*identity)->pods(), metrics);
    if (!started) return started.error();
    policies = std::move(*started);
    processor.use_denial_names([&](NetDenialPayload& d) { policies->name(d); });
    processor.use_guard_denial_names([&](GuardDenialPayload& d) { policies->name(d); });
  }
  // This agent enforces now (or has nothing to enforce): earlier agents' pins can go.
  if (Status s = (*pins)->finish(); !s) log::error("{}", s.error().message());
  if ((*pins)->persist()) {
    metrics.add_collector([dir = (*pins)->dir(), adopted = (*pins)->adopting()](std::vector<MetricSample>& out) {
      out.push_back({"ztai_enforcement_pinned",
                     "Network enforcement pinned in bpffs (enforcement.persist): the directory, and whether it "
                     "was adopted from an earlier agent",
                     MetricKind::kGauge, {{"dir", dir}, {"adopted", adopted ? "true" : "false"}}, 1.0});
    });
  }
  // Quarantine from rules and from `ztai quarantine` takes one path (the desk), audited.
  std::unique_ptr<QuarantineDesk> desk;
  if (policies) {
    desk = std::make_unique<QuarantineDesk>(policies->quarantine(), output, host_name(), metrics);
    processor.use_quarantine([&](const std::string& rule, uint64_t cgroup_id, const ProcKey& process) {
      return desk->for_rule(rule, cgroup_id, process);
    });
  }
  std::unique_ptr<ControlServer> control;
  if (!config.api.control_socket.empty()) {
    auto server = ControlServer::start(config.api.control_socket, [&](const ControlRequest& r) -> Result<std::string> {
      if (!desk) {
        return make_error(ErrorCode::kUnsupported,
                          "quarantine needs network enforcement: configure enforcement.policies (an empty folder is "
                          "enough)");
      }
      return desk->handle(r);
    });
    if (!server) return server.error().context(fmt::format("{}: api.control_socket", config.file));
    control = std::move(*server);
  }
  processor.use_rules(rule_handoff, config.rules.match_first ? rules::MatchMode::kFirst : rules::MatchMode::kAll,
                      {config.rules.alerts_per_window, config.rules.alert_window_seconds * 1'000'000'000ull},
                      metrics,
                      {.reorder_window_ns = config.rules.reorder_window_ms * 1'000'000ull,
                       .max_states = config.rules.sequence_max_states});
  auto refilter = [&](const rules::RuleSet& set) {
    if (Status s = (*programs)->skip_net_events(net_skip(rules::net_skip_mask(set))); !s) {
      log::error("the new rules' network filter could not be applied: {}", s.error().message());
    }
    if (!file_sensor) return;
    Status s = (*programs)->file_filter().apply(file_interest(config.file_sensor, rules::file_interest_of(set)));
    if (!s) log::error("the new rules' file filter could not be applied: {}", s.error().message());
  };
  rules::RuleReloader reloader({rule_paths, !config.rules.paths_required,
                                config.rules.watch_interval_seconds * 1000, refilter, hooks.on_reloaded},
                               builtin_fields(), rule_handoff, metrics);
  // A changed bundle is written to bundles_dir and reloaded like SIGHUP; the last bundles seen
  // were loaded above, so an unreachable API server keeps them.
  std::unique_ptr<KubeFolderSync> bundles;
  if (bundles_on) {
    auto sync = KubeFolderSync::start(crd_watch(rules::kRuleBundlesPath, "rule bundles", "rulebundles.ztai.io",
                                                "ztai_k8s_rulebundles"),
                                      config.rules.bundles_dir, rules::rule_bundle_of,
                                      [&reloader] { reloader.request(); }, metrics);
    if (!sync) return sync.error().context(fmt::format("{}: rules.bundles_dir", config.file));
    bundles = std::move(*sync);
    log::info("RuleBundle objects from {} are kept in {}", crd_api->server, config.rules.bundles_dir);
  }
  auto reader = RingReader::create((*programs)->control_ring_fd(), (*programs)->data_ring_fd(), processor);
  if (!reader) return reader.error();
  DropWatch drops(**programs, metrics);
  // After the reader exists: plaintext from the first probed call onwards is drained.
  std::unique_ptr<TlsAttacher> tls;
  if ((*programs)->family_loaded("tls") || (*programs)->family_loaded("tls_go")) {
    tls = std::make_unique<TlsAttacher>(**programs, UprobeScope::kPerFile);
    size_t probes = tls->attach_system_libraries() + tls->scan_all_processes();
    log::info("TLS capture: {} probes on {} files", probes, tls->files().size());
  }
  if ((*programs)->family_loaded("sock_data")) {
    if (Status s = (*programs)->capture_ports(config.capture.plain_ports); !s) return s;
    if (config.capture.tls_sni) {
      if (Status s = (*programs)->capture_tls_hello(); !s) return s;
    }
    StdioSelection stdio{config.capture.mcp_stdio_servers, config.capture.mcp_stdio_clients};
    if (!stdio.empty()) {
      if (Status s = (*programs)->capture_stdio(); !s) return s;
      // At exec, which the reader sees within milliseconds: an interpreter (node, python) takes
      // longer than that to read its first request. Children inherit in the kernel, race-free.
      auto select = [&programs, stdio](const ProcessInfo& p) {
        StdioRole role = stdio_role(stdio, p.exe_path, p.argv);
        if (role == StdioRole::kNone) return;
        Status s = (*programs)->select_stdio(p.key.tgid, p.parent.tgid, role == StdioRole::kServer);
        if (!s) log::warn("MCP stdio capture of {} ({}): {}", p.key.tgid, p.name, s.error().message());
      };
      processes.for_each_live(select);
      processor.use_exec_watch(select);
    }
  }
  uint64_t next_tls_scan = BootClock::now_boot_ns() + config.capture.rescan_seconds * 1'000'000'000ull;
  // Last, once the policies' cgroup links and the TLS probes exist: every BPF object the agent
  // holds is registered as its own; objects made later are registered by each tick's check.
  auto guard = SelfGuard::start(**programs, static_cast<uint32_t>(getpid()));
  if (!guard) return guard.error();
  processor.use_selfguard_names([&](SelfGuardPayload& p) { (*guard)->name(p); });
  if (!(*programs)->family_loaded("selfguard")) {
    log::warn("self-protection sees only detached links: the selfguard programs did not load");
  }

  log::info("running: {} programs attached, {} processes seeded, events to outputs: {}", (*programs)->attached().size(),
            seeded, config.output.events ? "yes" : "no");
  if (hooks.on_ready) {
    hooks.on_ready(fmt::format("running: {} programs attached, {} rules", (*programs)->attached().size(),
                               rule_count));
  }

  uint64_t next_housekeeping = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    auto n = (*reader)->poll(static_cast<int>(config.kernel.poll_interval_ms));
    if (!n) return n.error();
    if (hooks.reload && hooks.reload->exchange(false)) {
      if (hooks.on_reload_requested) hooks.on_reload_requested();
      reloader.request();
    }
    if (policies) {
      policies->poll();
      // Protected-file denials come from the file guard's thread; they join the events here.
      uint64_t dropped = 0;
      for (const Event& e : policies->take_file_denials(dropped)) processor.on_event(e);
      if (dropped) {
        metrics.counter("ztai_guard_denials_dropped_total", "Protected-file denials not reported: the queue was full")
            .inc(dropped);
      }
    }
    uint64_t now = BootClock::now_boot_ns();
    processor.tick(now);
    if (now >= next_housekeeping) {
      processes.reap(now);
      drops.check();
      for (const Event& e : (*guard)->check()) processor.on_event(e);
      if (hooks.on_tick) hooks.on_tick();
      if (policies) policies->tick(now, false);
      next_housekeeping = now + 1'000'000'000;
    }
    if (tls && config.capture.rescan_seconds && now >= next_tls_scan) {
      tls->scan_all_processes();
      next_tls_scan = now + config.capture.rescan_seconds * 1'000'000'000ull;
    }
  }
  if (hooks.on_stopping) hooks.on_stopping();
  auto drained = (*reader)->poll(0);  // what the rings hold at the stop
  if (!drained) return drained.error();
  processor.finish();
  return {};
}

}  // namespace

}  // namespace ztai
