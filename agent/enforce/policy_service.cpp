#include "agent/enforce/policy_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "agent/common/log.h"
#include "agent/policy/policy_parser.h"

namespace ztai::enforce {

Result<std::unique_ptr<PolicyService>> PolicyService::start(PolicyServiceSettings settings,
                                                            const BpfPrograms& programs, const PodStore* pods,
                                                            MetricsRegistry& metrics) {
  EgressMapFds fds = egress_map_fds(programs);
  if (!fds.valid()) return make_error(ErrorCode::kKernel, "the network policy maps are missing from the BPF object");
  std::unique_ptr<PolicyService> self(new PolicyService(std::move(settings), EgressMaps(fds), pods));
  PolicyServiceSettings& s = self->settings_;
  if (s.root_cgroup.empty()) s.root_cgroup = s.cgroup_mount;
  if (Status st = self->load_files(); !st) return st.error();
  self->process_ = std::make_unique<ProcessEnforcer>(
      ProcessEnforcerSettings{s.cgroup_mount, static_cast<uint32_t>(getpid())}, programs);

  self->env_.kubernetes = pods != nullptr;
  self->env_.hybrid_cgroups = s.hybrid_cgroups;
  self->env_.inherit = programs.family_loaded("egress_inherit");
  self->env_.attached = false;
  // Attached whenever policy paths are configured (an empty folder included), so quarantine works
  // for any workload; never otherwise, so an agent without policies changes no connect.
  auto att = CgroupAttachment::attach(egress_program_fds(programs), s.root_cgroup, s.pins);
  if (!att) return att.error().context("network policies cannot be enforced");
  self->attachment_ = std::move(*att);
  self->env_.attached = true;
  self->env_.segmented = self->attachment_->segmented() && fds.ingress >= 0;
  SegmentMapFds seg = segment_map_fds(programs);
  if (self->env_.segmented && seg.valid()) {
    self->segment_ = std::make_unique<SegmentNamespaces>(seg, segment_seeders(programs));
  }
  self->env_.seeded = segment_seeders(programs).valid();
  self->env_.namespaces = self->segment_ != nullptr;
  log::info("network enforcement attached at {}", s.root_cgroup);
  FqdnMapFds fqdn{programs.map_fd("ztai_fqdn_names"), programs.map_fd("ztai_fqdn_sets"),
                  programs.map_fd("ztai_fqdn_allowed"), programs.map_fd("ztai_dns_resolvers"),
                  programs.map_fd("ztai_fqdn_config"), programs.map_fd("ztai_fqdn_counters")};
  self->env_.fqdn = self->attachment_->fqdn() && fqdn.valid();
  if (self->env_.fqdn) {
    FqdnMaps maps(fqdn);
    constexpr uint64_t kSecond = 1'000'000'000ull;
    // A resolver that has not answered in 30 s has given up (resolv.conf timeouts are seconds).
    FqdnTimes times{s.fqdn.min_ttl_seconds * kSecond, s.fqdn.grace_seconds * kSecond, 30 * kSecond};
    if (Status st = maps.set_times(times); !st) return st.error();
    self->enforcer_.enable_fqdn(maps);
    self->update_resolvers();
  }
  int cut = programs.family_loaded("quarantine_cut") ? programs.program_fd("quarantine_cut") : -1;
  self->quarantine_ = std::make_unique<Quarantine>(EgressMaps(fds), cut, s.cgroup_mount, pods);
  if (Status st = self->resolve_and_apply(true); !st) return st.error();
  self->scan_namespaces();

  self->reloads_ = &metrics.counter("ztai_policy_reloads_total", "Policy loads (start-up, file changes, SIGHUP)");
  self->reload_errors_ =
      &metrics.counter("ztai_policy_reload_errors_total", "Policy reloads refused (the running policies stay)");
  PolicyService* raw = self.get();
  if (self->env_.fqdn) {
    metrics.add_collector([raw](std::vector<MetricSample>& out) {
      auto c = raw->enforcer_.fqdn_maps()->counters();
      if (!c) return;
      static constexpr std::pair<int, const char*> kResults[] = {
          {ZTAI_FQDN_QUERIES, "query"},   {ZTAI_FQDN_ANSWERS, "answer"},     {ZTAI_FQDN_FORGED, "forged"},
          {ZTAI_FQDN_UNMATCHED, "unmatched"}, {ZTAI_FQDN_MALFORMED, "malformed"}};
      for (const auto& [index, result] : kResults) {
        out.push_back({"ztai_fqdn_dns_messages_total",
                       "DNS messages of governed workloads read by the kernel: queries recorded, answers that "
                       "matched their query, forged answers (wrong resolver or no query: allowed nothing), answered "
                       "names no fqdn rule matches, unreadable messages",
                       MetricKind::kCounter, {{"result", result}}, static_cast<double>((*c)[index])});
      }
      out.push_back({"ztai_fqdn_addresses_allowed_total", "Addresses allowed (or refreshed) by DNS answers",
                     MetricKind::kCounter, {}, static_cast<double>((*c)[ZTAI_FQDN_ALLOWED])});
    });
  }
  if (self->segment_) {
    metrics.add_collector([raw](std::vector<MetricSample>& out) {
      const SegmentNamespaces& seg = *raw->segment_;
      out.push_back({"ztai_segment_namespaces", "Network namespaces of this node whose addresses segmentation knows",
                     MetricKind::kGauge, {}, static_cast<double>(seg.namespaces())});
      out.push_back({"ztai_segment_addresses", "Addresses of this node's network namespaces listed for segmentation",
                     MetricKind::kGauge, {}, static_cast<double>(seg.addresses())});
      out.push_back({"ztai_segment_seeded_sockets_total",
                     "Listeners older than the agent listed by the socket iterators, as a bind would have",
                     MetricKind::kCounter, {}, static_cast<double>(seg.seeded())});
      auto c = seg.counters();
      if (!c) return;
      static constexpr std::pair<int, const char*> kEvents[] = {{ZTAI_SEGMENT_ENDPOINTS_FULL, "endpoints_full"},
                                                                {ZTAI_SEGMENT_SHARED_ADDR, "shared_address"},
                                                                {ZTAI_SEGMENT_PENDING_FULL, "pending_full"}};
      for (const auto& [index, event] : kEvents) {
        out.push_back({"ztai_segment_unchecked_total",
                       "What segmentation could not check: binds not listed (endpoint map full), connects to an "
                       "address several namespaces hold, binds in unread namespaces not noted (read at the next scan)",
                       MetricKind::kCounter, {{"event", event}}, static_cast<double>((*c)[index])});
      }
    });
  }
  metrics.add_collector([raw](std::vector<MetricSample>& out) {
    for (const PolicyStatus& p : raw->status()) {
      // An info metric: the state and, when not fully enforced, why, for `ztai status` and alerting.
      out.push_back({"ztai_policy_status", "Each loaded policy's enforcement state (enforced, partially_enforced, "
                     "not_enforced) and the reasons", MetricKind::kGauge,
                     {{"policy", p.name}, {"state", std::string(enforcement_state_name(p.state))},
                      {"reasons", fmt::format("{}", fmt::join(p.reasons, "; "))}},
                     1.0});
      out.push_back({"ztai_policy_cgroups", "cgroups each loaded policy governs", MetricKind::kGauge,
                     {{"policy", p.name}, {"mode", std::string(policy::mode_name(p.mode))}},
                     static_cast<double>(p.cgroups)});
    }
  });
  return self;
}

std::string PolicyService::files_signature() const {
  // What a reload would read: every file's path, size and mtime.
  std::string sig;
  for (const std::string& path : settings_.paths) {
    std::error_code ec;
    std::vector<std::string> files;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(path, ec)) files.push_back(e.path().string());
    } else {
      files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      struct stat st {};
      if (stat(f.c_str(), &st) != 0) {
        sig += f + ":missing;";
        continue;
      }
      sig += fmt::format("{}:{}:{}.{};", f, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
  }
  return sig;
}

Status PolicyService::load_files() {
  signature_ = files_signature();
  policy::LoadedPolicies loaded = policy::load_policies(settings_.paths);
  if (!loaded.ok()) {
    std::string all;
    for (const Error& e : loaded.errors) all += "\n  " + e.message();
    return make_error(ErrorCode::kInvalidArgument, "the policies have {} errors:{}", loaded.errors.size(), all);
  }
  policies_ = std::move(loaded.policies);
  return {};
}

Status PolicyService::resolve_and_apply(bool log_status) {
  bool want_exes = std::any_of(policies_.begin(), policies_.end(),
                               [](const auto& p) { return p.selector.process_exe.has_value(); });
  auto cgroups = policy::scan_cgroups(settings_.cgroup_mount, pods_, "/proc", want_exes);
  if (!cgroups) return cgroups.error();
  policy::PolicyTargets targets = policy::resolve_targets(policies_, *cgroups);
  const PodStore* cluster = wants_remote_pods() ? settings_.cluster_pods() : nullptr;
  if (cluster) policy::resolve_remote_pods(policies_, cluster->all(), settings_.node_name, targets);
  env_.remote_pods = cluster != nullptr;
  if (!log_status && targets.by_cgroup == applied_targets_ && targets.remote_pods == applied_remote_pods_) return {};
  auto status = enforcer_.apply(policies_, targets, env_);
  if (!status) return status.error();
  if (Status st = process_->apply(policies_, targets, *cgroups); !st) return st;
  applied_targets_ = targets.by_cgroup;
  applied_remote_pods_ = targets.remote_pods;
  if (!log_status) return {};
  for (const std::string& c : targets.conflicts) log::warn("{}", c);
  for (const PolicyStatus& p : this->status()) {
    std::string why = p.reasons.empty() ? "" : ": " + fmt::format("{}", fmt::join(p.reasons, "; "));
    auto line = fmt::format("policy {} ({}, {}): {}, {} cgroups{}", p.name, p.where.str(), policy::mode_name(p.mode),
                            enforcement_state_name(p.state), p.cgroups, why);
    if (p.state == EnforcementState::kEnforced) {
      log::info("{}", line);
    } else {
      log::warn("{}", line);
    }
  }
  return {};
}

void PolicyService::update_resolvers() {
  std::vector<dns::DnsServer> wanted;
  for (const std::string& text : settings_.fqdn.resolvers) wanted.push_back(*dns::parse_dns_server(text));
  if (settings_.fqdn.resolvers.empty()) {
    auto listed = dns::read_nameservers(settings_.resolv_conf);
    if (!listed) {
      log::warn("fqdn rules: {}; the trusted resolvers stay as they were", listed.error().message());
      return;
    }
    wanted = std::move(*listed);
  }
  if (wanted == resolvers_) return;
  if (Status st = enforcer_.fqdn_maps()->set_resolvers(wanted); !st) {
    log::error("fqdn rules: the trusted resolvers could not be written: {}", st.error().message());
    return;
  }
  resolvers_ = std::move(wanted);
  std::vector<std::string> names;
  for (const dns::DnsServer& r : resolvers_) names.push_back(r.str());
  if (resolvers_.empty()) {
    log::warn("fqdn rules: no trusted DNS resolver (enforcement.fqdn.resolvers and {} name none): fqdn rules allow "
              "nothing", settings_.resolv_conf);
  } else {
    log::info("fqdn rules: answers count from {}", fmt::join(names, ", "));
  }
}

void PolicyService::tick(uint64_t now_boot_ns, bool force_reload) {
  if (!force_reload && now_boot_ns < next_scan_ns_) return;
  next_scan_ns_ = now_boot_ns + settings_.rescan_interval_ms * 1'000'000ull;
  if (env_.fqdn) {
    update_resolvers();
    // Expired addresses deny already; removing them leaves the LRU room for live ones.
    if (now_boot_ns >= next_sweep_ns_) {
      next_sweep_ns_ = now_boot_ns + 30'000'000'000ull;
      if (auto swept = enforcer_.fqdn_maps()->sweep(now_boot_ns); !swept) {
        log::warn("fqdn rules: sweeping expired addresses failed: {}", swept.error().message());
      }
    }
  }
  bool reload = force_reload || files_signature() != signature_;
  if (reload) {
    std::vector<policy::WorkloadPolicy> previous = policies_;
    reloads_->inc();
    if (Status st = load_files(); !st) {
      reload_errors_->inc();
      policies_ = std::move(previous);
      log::error("policy reload refused, the running policies stay in force: {}", st.error().message());
      return;
    }
  }
  if (Status st = resolve_and_apply(reload); !st) {
    log::error("applying the network policies failed, the previous generation stays in force: {}", st.error().message());
  }
  scan_namespaces();
}

bool PolicyService::segmenting() const {
  return segment_ && std::any_of(policies_.begin(), policies_.end(), [](const policy::WorkloadPolicy& p) {
           return p.ingress.present && p.ingress.default_action == policy::DefaultAction::kDeny;
         });
}

bool PolicyService::wants_remote_pods() const {
  return env_.segmented && settings_.cluster_pods &&
         std::any_of(policies_.begin(), policies_.end(), policy::filters_ingress_of_pods_anywhere);
}

void PolicyService::poll() {
  if (segmenting()) segment_->learn_pending();
}

void PolicyService::scan_namespaces() {
  if (!segmenting()) return;
  auto scan = segment_->scan();
  if (!scan) {
    log::error("segmentation: the addresses of this node's network namespaces could not be written: {}",
               scan.error().message());
    return;
  }
  if (scan->failed) {
    log::debug("segmentation: {} network namespaces could not be read (first: {})", scan->failed, scan->first_error);
  }
}

std::vector<PolicyStatus> PolicyService::status() const {
  std::vector<PolicyStatus> out = enforcer_.status();
  for (PolicyStatus& s : out) {
    auto p = std::find_if(policies_.begin(), policies_.end(), [&](const auto& wp) { return wp.name == s.name; });
    if (p == policies_.end()) continue;
    for (std::string& why : process_->unenforced(*p)) {
      if (s.state == EnforcementState::kEnforced) s.state = EnforcementState::kPartial;
      s.reasons.push_back(std::move(why));
    }
  }
  return out;
}

void PolicyService::name(NetDenialPayload& d) const {
  DenialNames n = enforcer_.describe(d.generation, d.policy_id, d.rule);
  d.policy_name = std::move(n.policy);
  d.rule_name = std::move(n.rule);
  d.mode = std::move(n.mode);
}

}  // namespace ztai::enforce
