// Network policies in a running agent: loads the policy files, resolves selectors to cgroups,
// attaches the egress programs at the enforcement root cgroup, writes the kernel maps, and keeps
// them current: a changed policy file (or SIGHUP) reloads, a new or changed workload re-resolves;
// every change is one generation flip. A bad file keeps the running policies in force.
// Status (enforced, partially, not, and why) goes to the log at each load, to metrics and to
// `ztai status`.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "agent/config/agent_config.h"
#include "agent/enforce/cgroup_attachment.h"
#include "agent/enforce/network_enforcer.h"
#include "agent/enforce/process_enforcer.h"
#include "agent/enforce/quarantine.h"
#include "agent/enforce/segment_namespaces.h"
#include "agent/events/policy_payloads.h"
#include "agent/identity/pod_store.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/pipeline/metrics.h"

namespace ztai::enforce {

struct PolicyServiceSettings {
  std::vector<std::string> paths;  // policy files and folders
  std::string cgroup_mount;        // the cgroup v2 mount
  std::string root_cgroup;         // where the programs attach; empty: the cgroup v2 mount
  bool hybrid_cgroups = false;
  uint32_t rescan_interval_ms = 2000;  // file changes and new workloads are looked for this often
  EnforcementPins* pins = nullptr;     // the attachment's links are pinned there (enforcement.persist)
  FqdnSettings fqdn{};
  std::string resolv_conf = "/etc/resolv.conf";  // the resolvers when fqdn.resolvers is empty
  // Kubernetes: this node's name, and the cluster's pods (a watch started on the first call) for
  // the ingress rules of pods on other nodes; unset without Kubernetes.
  std::string node_name{};
  std::function<const PodStore*()> cluster_pods{};
};

class PolicyService {
 public:
  // Fails (start-up is fatal) on a bad policy file or when the programs cannot be attached while
  // a policy needs them.
  static Result<std::unique_ptr<PolicyService>> start(PolicyServiceSettings settings, const BpfPrograms& programs,
                                                      const PodStore* pods, MetricsRegistry& metrics);

  // From the reader loop: reloads changed files (or all, when force), re-resolves workloads, reads
  // the node's network namespaces again.
  void tick(uint64_t now_boot_ns, bool force_reload);
  // From the reader loop, every round: reads the network namespaces binds were just noted in.
  void poll();
  // Fills the policy, rule and mode names of a denial record.
  void name(NetDenialPayload& d) const;
  void name(GuardDenialPayload& d) const { process_->name(d); }
  // Protected-file denials since the last call, for the event loop (see ProcessEnforcer).
  std::vector<Event> take_file_denials(uint64_t& dropped) { return process_->take_file_denials(dropped); }
  // The network enforcer's status, with what the process and file sections cannot enforce here.
  std::vector<PolicyStatus> status() const;
  NetworkEnforcer& enforcer() { return enforcer_; }
  // Quarantine works wherever the egress programs are attached, whatever the policies say.
  Quarantine& quarantine() { return *quarantine_; }

 private:
  PolicyService(PolicyServiceSettings settings, EgressMaps maps, const PodStore* pods)
      : settings_(std::move(settings)), enforcer_(maps), pods_(pods) {}
  Status load_files();
  Status resolve_and_apply(bool log_status);
  std::string files_signature() const;
  // Some policy filters ingress, and the namespace addresses can be listed.
  bool segmenting() const;
  // Some policy filters ingress of pods it selects by namespace and labels only, which can be on
  // other nodes.
  bool wants_remote_pods() const;
  void scan_namespaces();
  // The trusted resolvers into the kernel when they changed (resolv.conf is re-read).
  void update_resolvers();

  PolicyServiceSettings settings_;
  NetworkEnforcer enforcer_;
  std::unique_ptr<ProcessEnforcer> process_;
  const PodStore* pods_;
  std::unique_ptr<CgroupAttachment> attachment_;
  std::unique_ptr<Quarantine> quarantine_;
  std::unique_ptr<SegmentNamespaces> segment_;
  EnforceEnvironment env_;
  std::vector<policy::WorkloadPolicy> policies_;
  std::string signature_;
  std::map<uint64_t, size_t> applied_targets_;
  std::map<std::array<uint8_t, 16>, size_t> applied_remote_pods_;
  uint64_t next_scan_ns_ = 0;
  uint64_t next_sweep_ns_ = 0;
  std::vector<dns::DnsServer> resolvers_;
  Counter* reloads_ = nullptr;
  Counter* reload_errors_ = nullptr;
};

}  // namespace ztai::enforce
