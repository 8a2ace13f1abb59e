#include "agent/pipeline/event_processor.h"

#include <fmt/format.h>

#include "agent/common/log.h"
#include "agent/events/decoder.h"

#include <signal.h>
#include <unistd.h>
#include "agent/fields/workload_fields.h"

namespace ztai {

const std::vector<std::string>& event_output_fields(EventType type) {
  static const std::vector<std::string> kExec = {
      "evt.type",  "evt.time",      "evt.res",        "proc.pid",    "proc.tid",      "proc.ppid",
      "proc.name", "proc.exepath",  "proc.exe",       "proc.argv",   "proc.cmdline",  "proc.args_truncated",
      "proc.exec_id", "proc.pexec_id", "proc.pname",  "proc.pcmdline", "proc.aname",  "user.uid",
      "user.euid", "group.gid",     "cgroup.id", "proc.exe_sha256", "proc.exe_hash_status",
      "proc.is_root", "proc.caps_eff", "proc.seccomp", "proc.nnp", "container.privileged", "container.host_pid",
      "container.host_net", "container.host_mnt"};
  static const std::vector<std::string> kFork = {
      "evt.type",  "evt.time", "proc.pid",     "proc.tid",          "proc.ppid",          "proc.name",
      "proc.exepath", "proc.exec_id", "evt.arg.child_pid", "evt.arg.child_exec_id", "user.uid", "cgroup.id"};
  static const std::vector<std::string> kExit = {
      "evt.type",     "evt.time",     "proc.pid",       "proc.tid",        "proc.ppid",  "proc.name",
      "proc.exepath", "proc.exec_id", "proc.exit_code", "proc.exit_signal", "proc.core_dumped", "cgroup.id"};
  static const std::vector<std::string> kCgroup = {"evt.type", "evt.time", "proc.pid", "proc.name", "proc.exec_id",
                                                   "evt.arg.cgroup_id", "evt.arg.cgroup_path", "cgroup.id"};
  // Every event says which workload acted.
  auto with_workload = [](std::vector<std::string> names) {
    for (const std::string& f : workload_output_fields()) names.push_back(f);
    return names;
  };
  // Actions a model's tool call can lead to also say which call (agent/detect/chain).
  auto with_chain = [](std::vector<std::string> names) {
    for (const char* f : {"chain.summary", "chain.source", "chain.tool.name", "chain.exec_id"}) names.push_back(f);
    return names;
  };
  static const std::vector<std::string> kExecAll = with_chain(with_workload(kExec));
  static const std::vector<std::string> kForkAll = with_workload(kFork);
  static const std::vector<std::string> kExitAll = with_workload(kExit);
  static const std::vector<std::string> kCgroupAll = with_workload(kCgroup);
  static const std::vector<std::string> kFileAll = with_chain(with_workload(
      {"evt.type", "evt.time", "evt.res", "evt.rawres", "fd.name", "fd.directory", "fd.filename", "evt.arg.newpath",
       "evt.arg.flags", "evt.arg.mode", "evt.arg.uid", "evt.arg.gid", "proc.pid", "proc.tid", "proc.ppid",
       "proc.name", "proc.exepath", "proc.cmdline", "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"}));
  static const std::vector<std::string> kNetAll = with_chain(with_workload(
      {"evt.type", "evt.time", "evt.res", "evt.rawres", "net.proto", "net.sip", "net.sport", "net.dip", "net.dport",
       "net.nonblocking", "net.bytes_out", "net.bytes_in", "net.dns.names", "fd.num", "proc.pid", "proc.tid",
       "proc.ppid", "proc.name", "proc.exepath", "proc.cmdline", "proc.exec_id", "proc.pname", "user.uid",
       "cgroup.id"}));
  static const std::vector<std::string> kDnsAll = with_workload(
      {"evt.type", "evt.time", "net.dns.query", "net.dns.qtype", "net.dns.rcode", "net.dns.answers", "net.dns.error",
       "net.proto", "net.sip", "net.sport", "net.dip", "net.dport", "proc.pid", "proc.tid", "proc.name",
       "proc.exepath", "proc.cmdline", "proc.exec_id", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kTlsHelloAll = with_workload(
      {"evt.type", "evt.time", "tls.sni", "tls.alpn", "tls.error", "http.host", "net.sip", "net.sport", "net.dip",
       "net.dport", "net.dns.names", "proc.pid", "proc.tid", "proc.ppid", "proc.name", "proc.exepath", "proc.cmdline",
       "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kDenialAll = with_workload(
      {"evt.type", "evt.time", "policy.name", "policy.rule", "policy.action", "policy.mode", "policy.hook", "net.proto",
       "net.dip", "net.dport", "proc.pid", "proc.tid", "proc.ppid", "proc.name", "proc.exepath", "proc.cmdline",
       "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kGuardDenialAll = with_workload(
      {"evt.type", "evt.time", "policy.name", "policy.rule", "policy.action", "policy.mode", "policy.kind",
       "policy.target", "proc.pid", "proc.tid", "proc.ppid", "proc.name", "proc.exepath", "proc.cmdline",
       "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kSelfGuardAll = with_workload(
      {"evt.type", "evt.time", "selfguard.action", "selfguard.target", "selfguard.command", "selfguard.object_id",
       "selfguard.signal_code", "proc.pid", "proc.tid", "proc.ppid", "proc.name", "proc.exepath", "proc.cmdline",
       "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kBlindSpotAll = with_workload(
      {"evt.type", "evt.time", "evt.res", "evt.rawres", "evt.arg.entries", "evt.arg.setup_flags", "evt.arg.domain",
       "evt.arg.type", "evt.arg.proto", "proc.pid", "proc.tid", "proc.ppid", "proc.name", "proc.exepath",
       "proc.cmdline", "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  static const std::vector<std::string> kLlmAll = with_workload(
      {"evt.type", "evt.time", "llm.provider", "llm.endpoint", "llm.model", "llm.prompt", "llm.tools", "llm.response",
       "llm.tool.name", "llm.tool.args", "llm.tokens.in", "llm.tokens.out", "llm.status", "llm.latency_ms",
       "llm.finish_reason", "llm.error", "llm.truncated", "llm.api_key_id", "http.method", "http.host", "http.path",
       "http.status", "proc.pid", "proc.tid", "proc.name", "proc.exepath", "proc.cmdline", "proc.exec_id", "proc.pname",
       "user.uid", "cgroup.id"});
  static const std::vector<std::string> kMcpAll = with_workload(
      {"evt.type", "evt.time", "mcp.kind", "mcp.method", "mcp.id", "mcp.tool.name", "mcp.tool.args", "mcp.resource.uri",
       "mcp.error", "mcp.transport", "mcp.client.pid", "http.method", "http.host", "http.path", "http.status", "proc.pid", "proc.tid",
       "proc.name", "proc.exepath", "proc.cmdline", "proc.exec_id", "proc.pname", "user.uid", "cgroup.id"});
  switch (type) {
    case EventType::kLlmRequest:
    case EventType::kLlmResponse: return kLlmAll;
    case EventType::kMcpMessage: return kMcpAll;
    case EventType::kConnect:
    case EventType::kAccept:
    case EventType::kBind:
    case EventType::kListen:
    case EventType::kSendto:
    case EventType::kSendmsg:
    case EventType::kTcpClose: return kNetAll;
    case EventType::kDns:
    case EventType::kDnsQuery: return kDnsAll;
    case EventType::kTlsClientHello: return kTlsHelloAll;
    case EventType::kIoUringSetup:
    case EventType::kRawSocket: return kBlindSpotAll;
    case EventType::kNetDenial: return kDenialAll;
    case EventType::kGuardDenial: return kGuardDenialAll;
    case EventType::kSelfGuard: return kSelfGuardAll;
    case EventType::kExec: return kExecAll;
    case EventType::kFork: return kForkAll;
    case EventType::kExit: return kExitAll;
    case EventType::kCgroupMkdir:
    case EventType::kCgroupRmdir: return kCgroupAll;
    default: break;
  }
  if (static_cast<uint16_t>(type) > static_cast<uint16_t>(EventType::kOpen) - 1 &&
      static_cast<uint16_t>(type) <= static_cast<uint16_t>(EventType::kMemfdCreate)) {
    return kFileAll;
  }
  return kExecAll;
}

EventProcessor::EventProcessor(EventProcessorSettings settings, ProcessTable& processes, OutputStage& output,
                               const BootClock& clock, MetricsRegistry& metrics, WorkloadResolver* workloads)
    : settings_(std::move(settings)),
      processes_(processes),
      output_(output),
      clock_(clock),
      workloads_(workloads),
      fields_(builtin_fields()),
      metrics_(metrics),
      decode_errors_(metrics.counter("ztai_decode_errors_total", "Kernel records that could not be decoded")) {
}

void EventProcessor::on_record(std::span<const std::byte> record) {
  if (DataDecoder::is_data_record(record)) {
    auto chunk = data_decoder_.decode(record);
    if (!chunk) {
      decode_errors_.inc();
      log::debug("dropped a kernel data record: {}", chunk.error().message());
      return;
    }
    on_chunk(*chunk);
    return;
  }
  auto event = decode_record(record);
  if (!event) {
    decode_errors_.inc();
    log::debug("dropped a kernel record: {}", event.error().message());
    return;
  }
  on_event(*event);
}

void EventProcessor::on_event(const Event& original) {
  std::optional<Event> named;
  if (original.as<NetDenialPayload>() && name_denial_) {
    named = original;
    name_denial_(std::get<NetDenialPayload>(named->payload));
  } else if (original.as<GuardDenialPayload>() && name_guard_denial_) {
    named = original;
    name_guard_denial_(std::get<GuardDenialPayload>(named->payload));
  } else if (original.as<SelfGuardPayload>() && name_selfguard_) {
    named = original;
    name_selfguard_(std::get<SelfGuardPayload>(named->payload));
  }
  const Event& event = named ? *named : original;
  if (auto i = static_cast<size_t>(event.hdr.type); i < events_by_type_.size()) {
    Counter*& c = events_by_type_[i];
    if (!c) {
      c = &metrics_.counter("ztai_events_total", "Events received from the kernel",
                            {{"type", std::string(event_type_name(event.hdr.type))}});
    }
    c->inc();
  }
  const ProcessInfo* proc = processes_.apply(event);
  if (proc && exec_watch_ && event.hdr.type == EventType::kExec) exec_watch_(*proc);
  const WorkloadIdentity* workload = workloads_ ? workloads_->resolve(event) : nullptr;
  if (exe_hashes_) exe_hashes_->observe(event);
  if (const DnsPayload* dns = event.as<DnsPayload>(); dns && dns->message) {
    dns_names_.learn(*dns->message, event.hdr.boot_ns);
  }
  chains_.observe(event);
  std::optional<ChainLink> chain = chains_.link(event, proc, processes_, &dns_names_);
  EventContext ctx{event, proc, processes_, clock_, workload, &dns_names_, exe_hashes_, chain ? &*chain : nullptr};
  evaluate_rules(ctx);
  if (const NetDenialPayload* d = event.as<NetDenialPayload>()) {
    if (!denial_alerts_) {
      denial_alerts_ = &metrics_.counter("ztai_policy_denial_alerts_total",
                                         "Alerts raised for network policy denials (audit mode included)");
    }
    denial_alerts_->inc();
    output_.submit(denial_alert(ctx, *d));
  }
  if (const GuardDenialPayload* d = event.as<GuardDenialPayload>()) {
    if (!guard_denial_alerts_) {
      guard_denial_alerts_ = &metrics_.counter("ztai_guard_denial_alerts_total",
                                               "Alerts raised for exec, io_uring, unix socket and file policy "
                                               "denials (audit mode included)");
    }
    guard_denial_alerts_->inc();
    output_.submit(guard_denial_alert(ctx, *d));
  }
  if (const SelfGuardPayload* p = event.as<SelfGuardPayload>(); p && repeated_open(event.hdr.proc, *p)) {
    metrics_.counter("ztai_selfguard_repeated_opens_total",
                     "Opens by id of the agent's BPF objects by a process already reported for one")
        .inc();
  } else if (p) {
    if (!selfguard_alerts_) {
      selfguard_alerts_ = &metrics_.counter("ztai_selfguard_alerts_total",
                                            "Alerts raised because another process acted on the agent or its BPF "
                                            "objects, or the agent found one of its links detached");
    }
    selfguard_alerts_->inc();
    output_.submit(selfguard_alert(ctx, *p));
  }
  if (audit_ && AiAudit::covers(event.hdr.type)) {
    audit_records_->inc();
    output_.submit(audit_->record(ctx));
  }
  if (settings_.emit_events) output_.submit(event_record(ctx));
}

void EventProcessor::use_audit(AuditSettings settings) {
  if (!settings.ai) return;
  audit_.emplace(settings, fields_, settings_.hostname);
  audit_records_ = &metrics_.counter("ztai_audit_records_total", "AI audit records sent to the outputs (audit.ai)");
}

void EventProcessor::on_chunk(const DataChunk& chunk) {
  conversations_.feed(chunk, decoded_);
  // Connections whose end the capture missed are dropped once idle; checked every few seconds.
  if (chunk.hdr.boot_ns >= next_expiry_ns_) {
    conversations_.expire(chunk.hdr.boot_ns);
    next_expiry_ns_ = chunk.hdr.boot_ns + 5'000'000'000;
  }
  publish_decoded();
}

void EventProcessor::on_stream_end(uint64_t conn_id, const EventHeader& hdr) {
  conversations_.close(conn_id, hdr, decoded_);
  publish_decoded();
}

void EventProcessor::publish_decoded() {
  for (const Event& e : decoded_) on_event(e);
  decoded_.clear();
  const TrackerStats& s = conversations_.stats();
  auto mirror = [&](uint64_t now, uint64_t& seen, const char* name, const char* help, MetricLabels labels) {
    if (now == seen) return;
    metrics_.counter(name, help, std::move(labels)).inc(now - seen);
    seen = now;
  };
  const char* dropped = "Captured stream bytes not decoded";
  mirror(s.bytes, published_.bytes, "ztai_stream_bytes_total", "Captured stream bytes fed to protocol decoding", {});
  mirror(s.unrecognised_bytes, published_.unrecognised_bytes, "ztai_stream_dropped_bytes_total", dropped,
         {{"reason", "unrecognised"}});
  mirror(s.lost_bytes, published_.lost_bytes, "ztai_stream_dropped_bytes_total", dropped, {{"reason", "lost"}});
  mirror(s.truncated_chunks, published_.truncated_chunks, "ztai_stream_truncated_chunks_total",
         "Captured chunks cut by the capture's size limit", {});
  mirror(s.truncated_messages, published_.truncated_messages, "ztai_stream_truncated_messages_total",
         "HTTP messages, bodies or lines cut by a cap or a loss (their events say so)", {});
  mirror(s.parse_errors, published_.parse_errors, "ztai_stream_parse_errors_total",
         "Malformed HTTP, HTTP/2 or JSON-RPC input (the stream resynchronises)", {});
  mirror(s.connections_evicted, published_.connections_evicted, "ztai_stream_evicted_connections_total",
         "Connections whose reassembly state was dropped (over the limit or idle)", {});
  mirror(s.unpaired_responses, published_.unpaired_responses, "ztai_stream_unpaired_responses_total",
         "HTTP responses seen without their request", {});
}

void EventProcessor::use_rules(rules::RuleSetHandoff& handoff, rules::MatchMode mode, rules::AlertLimits limits,
                               MetricsRegistry& metrics, rules::SequenceSettings sequences) {
  rule_handoff_ = &handoff;
  match_mode_ = mode;
  sequence_settings_ = sequences;
  limiter_.emplace(limits, metrics);
  responder_.emplace(Procfs("/proc"), static_cast<uint32_t>(getpid()), metrics);
  alerts_ = &metrics.counter("ztai_alerts_total", "Alerts raised by rules");
  rules_loaded_ = &metrics.gauge("ztai_rules_loaded", "Rules in the running rule set");
}

void EventProcessor::evaluate_rules(const EventContext& ctx) {
  if (!rule_handoff_) return;
  if (auto next = rule_handoff_->take()) {
    // Partial sequences belong to the rule set that started them: what waits is applied with it,
    // and the new set starts with no sequence state.
    finish();
    rules_loaded_->set(static_cast<int64_t>(next->rules().size()));
    rules_.emplace(next, match_mode_);
    sequences_.emplace(std::move(next), sequence_settings_, metrics_, processes_, clock_, settings_.hostname);
  }
  if (!rules_) return;
  for (const rules::CompiledRule* rule : rules_->evaluate(ctx)) {
    raise(*rule, rules_->alert(*rule, ctx, settings_.hostname), ctx.event.hdr.proc, ctx.event.hdr.cgroup_id,
          ctx.event.hdr.boot_ns);
  }
  // The stateless rules above alert at once; sequence steps wait out the reorder window.
  if (!rules_->observations().empty() || sequences_->buffered()) {
    sequences_->push(rules_->observations(), ctx.event.hdr.boot_ns, sequence_alerts_);
    raise_sequence_alerts();
  }
}

void EventProcessor::tick(uint64_t now_boot_ns) {
  if (!sequences_ || !sequences_->buffered()) return;
  sequences_->release(now_boot_ns, sequence_alerts_);
  raise_sequence_alerts();
}

void EventProcessor::finish() {
  if (!sequences_) return;
  sequences_->flush(sequence_alerts_);
  raise_sequence_alerts();
}

void EventProcessor::raise_sequence_alerts() {
  for (rules::SequenceAlert& a : sequence_alerts_) raise(*a.rule, std::move(a.alert), a.proc, a.cgroup_id, a.boot_ns);
  sequence_alerts_.clear();
}

void EventProcessor::raise(const rules::CompiledRule& rule, Record alert, const ProcKey& proc, uint64_t cgroup_id,
                           uint64_t boot_ns) {
  // Actions run even when the alert is rate limited: the flood is the reason to act.
  for (rules::Action action : rule.actions) {
    if (action == rules::Action::kQuarantine) {
      rules::ActionOutcome outcome =
          quarantine_ ? quarantine_(rule.name, cgroup_id, proc)
                      : rules::ActionOutcome{false, "refused: quarantine needs network enforcement "
                                                    "(enforcement.policies configured)"};
      alert.fields.emplace_back("ztai.action", std::string("quarantine"));
      alert.fields.emplace_back("ztai.action_result", outcome.detail);
      if (!outcome.done) log::warn("rule {}: quarantine: {}", rule.name, outcome.detail);
      continue;
    }
    rules::ActionOutcome outcome = responder_->kill(proc);
    alert.fields.emplace_back("ztai.action", std::string("kill"));
    alert.fields.emplace_back("ztai.action_result", outcome.detail);
    if (!outcome.done) log::warn("rule {}: kill of pid {}: {}", rule.name, proc.tgid, outcome.detail);
  }
  if (!limiter_->admit(alert, cgroup_id, boot_ns)) return;
  alerts_->inc();
  output_.submit(std::move(alert));
}

Record EventProcessor::denial_alert(const EventContext& ctx, const NetDenialPayload& d) const {
  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = clock_.to_unix_ns(ctx.event.hdr.boot_ns);
  r.rule = "Network policy denial";
  r.priority = d.audit ? Priority::kNotice : Priority::kWarning;
  r.source = "policy";
  r.hostname = settings_.hostname;
  r.tags = {"policy", "network"};
  auto i = static_cast<size_t>(ctx.event.hdr.type) % output_selection_.size();
  if (!output_selection_[i]) output_selection_[i] = select_fields(fields_, event_output_fields(ctx.event.hdr.type));
  r.fields = extract_fields(ctx, *output_selection_[i]);
  const ProcessInfo* p = ctx.proc;
  std::string dst = d.daddr.family == IpAddress::Family::kV6 ? fmt::format("[{}]:{}", d.daddr.to_string(), d.dport)
                                                              : fmt::format("{}:{}", d.daddr.to_string(), d.dport);
  r.output = fmt::format("network policy {} {} {} to {} (policy={} rule={} workload={} pid={} exe={})",
                         d.audit ? "would deny" : "denied", policy_hook_name(d.hook),
                         d.protocol == 17 ? "udp" : "tcp", dst, d.policy_name.empty() ? "<unknown>" : d.policy_name,
                         d.rule_name.empty() ? "<unknown>" : d.rule_name,
                         ctx.workload && !ctx.workload->name.empty() ? ctx.workload->name : "<unknown>",
                         ctx.event.hdr.proc.tgid, p ? p->exe_path : "<unknown>");
  return r;
}

Record EventProcessor::guard_denial_alert(const EventContext& ctx, const GuardDenialPayload& d) const {
  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = clock_.to_unix_ns(ctx.event.hdr.boot_ns);
  bool file = d.kind == DenialKind::kFileOpen;
  r.rule = file ? "File policy denial" : "Process policy denial";
  r.priority = d.audit ? Priority::kNotice : Priority::kWarning;
  r.source = "policy";
  r.hostname = settings_.hostname;
  r.tags = {"policy", file ? "file" : "process"};
  auto i = static_cast<size_t>(ctx.event.hdr.type) % output_selection_.size();
  if (!output_selection_[i]) output_selection_[i] = select_fields(fields_, event_output_fields(ctx.event.hdr.type));
  r.fields = extract_fields(ctx, *output_selection_[i]);
  const ProcessInfo* p = ctx.proc;
  std::string_view what = d.kind == DenialKind::kExec          ? "exec of"
                          : d.kind == DenialKind::kIoUring     ? "io_uring setup"
                          : d.kind == DenialKind::kUnixConnect ? "connect to"
                                                               : "open of";
  bool kills = d.kind == DenialKind::kExec || d.kind == DenialKind::kIoUring;
  std::string_view done = d.audit ? "would deny" : !kills ? "denied" : d.kill_failed ? "failed to kill on" : "killed on";
  r.output = fmt::format("policy {} {}{}{} (policy={} rule={} workload={} pid={} exe={})", done, what,
                         d.path.empty() ? "" : " ", d.path, d.policy_name.empty() ? "<unknown>" : d.policy_name,
                         d.rule_name.empty() ? "<unknown>" : d.rule_name,
                         ctx.workload && !ctx.workload->name.empty() ? ctx.workload->name : "<unknown>",
                         ctx.event.hdr.proc.tgid, p ? p->exe_path : "<unknown>");
  return r;
}

// Tampering with the sensor is critical; opening its objects by id is what `bpftool prog show`
// does, and SIGTERM or SIGINT, or any signal from the service manager (pid 1), is an orderly
// stop: the SIEM is told the sensor goes down, and by whom.
static Priority selfguard_priority(const SelfGuardPayload& p, uint32_t actor) {
  switch (p.action) {
    case SelfGuardAction::kObjectOpen: return Priority::kNotice;
    case SelfGuardAction::kSignal:
      if (actor == 1 || p.command == SIGTERM || p.command == SIGINT) return Priority::kNotice;
      return Priority::kWarning;
    case SelfGuardAction::kMemoryRead: return Priority::kWarning;
    default: return Priority::kCritical;
  }
}

// Listing BPF objects (bpftool prog show) opens each one by id: one alert per process says it,
// where one per object would bury the writes and detaches among dozens of opens.
bool EventProcessor::repeated_open(const ProcKey& actor, const SelfGuardPayload& p) {
  if (p.action != SelfGuardAction::kObjectOpen || !actor.valid()) return false;
  if (selfguard_openers_.size() >= 4096) selfguard_openers_.clear();
  return !selfguard_openers_.insert(actor).second;
}

Record EventProcessor::selfguard_alert(const EventContext& ctx, const SelfGuardPayload& p) const {
  Record r;
  r.kind = RecordKind::kAlert;
  r.time_unix_ns = clock_.to_unix_ns(ctx.event.hdr.boot_ns);
  r.rule = "Agent self-protection";
  r.priority = selfguard_priority(p, ctx.event.hdr.proc.tgid);
  r.source = "selfguard";
  r.hostname = settings_.hostname;
  r.tags = {"selfguard", "tamper"};
  auto i = static_cast<size_t>(ctx.event.hdr.type) % output_selection_.size();
  if (!output_selection_[i]) output_selection_[i] = select_fields(fields_, event_output_fields(ctx.event.hdr.type));
  r.fields = extract_fields(ctx, *output_selection_[i]);
  std::string command = selfguard_command_name(p);
  std::string target = selfguard_target(p);
  if (!ctx.event.hdr.proc.valid()) {
    r.output = fmt::format("agent self-protection: {} {} found by the agent's check (actor unknown)",
                           selfguard_action_name(p.action), target);
    return r;
  }
  const ProcessInfo* proc = ctx.proc;
  r.output = fmt::format("agent self-protection: {} {} on {} by pid={} exe={} parent={}",
                         selfguard_action_name(p.action), command, target, ctx.event.hdr.proc.tgid,
                         proc ? proc->exe_path : "<unknown>",
                         proc && processes_.parent_of(*proc) ? processes_.parent_of(*proc)->name : "<unknown>");
  return r;
}

Record EventProcessor::event_record(const EventContext& ctx) const {
  Record r;
  r.kind = RecordKind::kEvent;
  r.time_unix_ns = clock_.to_unix_ns(ctx.event.hdr.boot_ns);
  r.priority = Priority::kInformational;
  r.source = "syscall";
  r.hostname = settings_.hostname;
  auto i = static_cast<size_t>(ctx.event.hdr.type) % output_selection_.size();
  if (!output_selection_[i]) output_selection_[i] = select_fields(fields_, event_output_fields(ctx.event.hdr.type));
  r.fields = extract_fields(ctx, *output_selection_[i]);
  // A one-line summary for people reading the stream: the type, then who did it.
  const ProcessInfo* p = ctx.proc;
  r.output = fmt::format("{} pid={} exe={} parent={} exec_id={}", event_type_name(ctx.event.hdr.type),
                         ctx.event.hdr.proc.tgid, p ? p->exe_path : "<unknown>",
                         p && processes_.parent_of(*p) ? processes_.parent_of(*p)->name : "<unknown>",
                         p ? p->exec_id : "<unknown>");
  return r;
}

}  // namespace ztai
