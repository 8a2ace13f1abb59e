// The agent config file. Every key, its default and its meaning are in
// packaging/config/ztai.yaml; a test keeps that file and these defaults equal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/common/path_pattern.h"
#include "agent/common/result.h"
#include "agent/identity/process_table.h"

namespace ztai {

struct KernelSettings {
  uint64_t control_ring_bytes = 8u << 20;
  uint64_t data_ring_bytes = 16u << 20;
  uint32_t poll_interval_ms = 10;
  uint32_t wakeup_percent = 25;
  uint32_t max_args_bytes = 4096;
  std::string tracefs = "/sys/kernel/tracing";
  std::string bpffs = "/sys/fs/bpf";
};

struct OutputSettings {
  bool events = false;
  uint32_t queue_capacity = 65536;
  // One mapping per output, each with a `type` naming an exporter; checked by its factory.
  std::vector<YAML::Node> outputs;
};

struct RulesSettings {
  // Rule files or folders, loaded in order; a missing one is skipped (an install without local rules).
  std::vector<std::string> paths = {"/usr/share/ztai/rules", "/etc/ztai/rules.d"};
  bool match_first = false;  // `match: first`: only the first matching rule alerts
  uint32_t watch_interval_seconds = 2;  // 0: reload on SIGHUP only
  uint32_t alerts_per_window = 10;  // per rule and workload (cgroup); 0: no limit
  uint32_t alert_window_seconds = 60;
  // Sequence rules: events are applied in kernel-time order after waiting this long.
  uint32_t reorder_window_ms = 50;
  uint32_t sequence_max_states = 16384;  // (rule, workload or process) pairs with sequence state
  // RuleBundle objects from the Kubernetes API, kept here as rule files and loaded after the paths
  // while the agent reaches the API (identity.kubernetes). Empty: not watched.
  std::string bundles_dir = "/var/lib/ztai/rulebundles";
  // Not a config key: set by `ztai run --rules`, whose paths must exist.
  bool paths_required = false;
};

// What the file sensor emits, besides what loaded rules and policies ask for.
struct FileSensorSettings {
  std::string mode = "rules";  // rules: only paths rules/policies name; all: every file event; off
  std::vector<PathPattern> watch;  // always emitted: exact paths, prefixes (/dir/*), suffixes (*.gguf)
};

// Workload identity: cgroups, Kubernetes pod metadata, SPIFFE ids, executable hashes.
struct KubernetesSettings {
  std::string enabled = "auto";  // auto: in a pod or with a kubeconfig; true: required; false: off
  std::string api_server;        // overrides the in-cluster address or the kubeconfig's
  std::string kubeconfig;        // used instead of the service account when set
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  uint32_t watch_timeout_seconds = 300;
  uint32_t retry_max_seconds = 30;
};

struct ExeHashSettings {
  bool enabled = true;
  uint64_t max_file_bytes = 256ull << 20;  // larger executables are not hashed (flagged too_large)
  uint32_t cache_entries = 16384;
};

struct IdentitySettings {
  std::string trust_domain = "cluster.local";
  std::string node_name;  // empty: $NODE_NAME, else the host name
  uint32_t max_cgroups = 65536;
  KubernetesSettings kubernetes;
  ExeHashSettings exe_hash;
};

// fqdn egress rules: addresses learnt from DNS answers in the kernel (docs/policy.md).
struct FqdnSettings {
  uint32_t min_ttl_seconds = 60;  // an answer's TTL counts as at least this
  uint32_t grace_seconds = 30;    // after the TTL, for connections pooled from a cached answer
  // Resolvers whose answers count ("ADDRESS", "IPv4:PORT", "[IPv6]:PORT"); empty: the nameservers
  // of /etc/resolv.conf, port 53.
  std::vector<std::string> resolvers;
};

// Enforcement of WorkloadPolicies in the kernel (docs/policy.md).
struct EnforcementSettings {
  // WorkloadPolicy files and folders; `ztai run --policy PATH` (repeatable) replaces the list.
  // Empty: no network enforcement program is attached.
  std::vector<std::string> policies;
  std::string root_cgroup;  // where the egress programs attach; empty: the cgroup v2 root
  bool persist = false;     // keep enforcing across agent restarts (pinned in bpffs)
  std::string pin_root = "/sys/fs/bpf/ztai";  // where persist pins, in a bpf filesystem
  // WorkloadPolicy objects from the Kubernetes API, kept here as policy files and enforced with
  // the policies while the agent reaches the API. Empty: not watched.
  std::string policies_dir;
  FqdnSettings fqdn;
};

// TLS plaintext capture (docs/tls-capture.md).
struct CaptureSettings {
  bool tls = true;     // OpenSSL and GnuTLS uprobes
  bool go_tls = true;  // Go crypto/tls probes
  uint32_t max_call_bytes = 64u << 10;  // plaintext copied per TLS call, at most 1 MiB
  uint32_t rescan_seconds = 5;  // /proc rescanned for new TLS libraries and binaries; 0: at start-up only
  // TCP ports whose plain traffic is captured (local model servers: Ollama, vLLM).
  std::vector<uint16_t> plain_ports = {11434, 8000};
  // MCP stdio servers whose stdin/stdout pipes are captured (agent/capture/stdio_selector.h):
  // substrings of a process's executable path or arguments. Servers: the process itself;
  // clients: every child it starts.
  std::vector<std::string> mcp_stdio_servers = {"mcp-server", "mcp_server", "@modelcontextprotocol/server-"};
  std::vector<std::string> mcp_stdio_clients;
  // The ClientHello of each TCP connection made is read for the server name (tls.sni).
  bool tls_sni = true;
};

// The local HTTP endpoint: GET /metrics (Prometheus) and /healthz; `ztai status` reads it.
struct ApiSettings {
  std::string listen = "127.0.0.1:9377";  // host:port; empty: off
  // Commands that change enforcement (`ztai quarantine`, `ztai release`): a unix socket, mode
  // 0600; empty: off.
  std::string control_socket = "/run/ztai/control.sock";
};

// The AI audit trail: a record per LLM request, LLM response and MCP message.
struct AuditSettings {
  bool ai = false;
  bool content = false;  // also the exchanged text, DLP findings redacted
  uint32_t max_content_bytes = 4096;
};

struct AgentConfig {
  std::string file = "<defaults>";
  std::string log_level = "info";
  std::string lock_file = "/run/ztai/ztai.lock";  // one agent per host; empty: no lock
  KernelSettings kernel;
  ProcessTableConfig process_table;
  IdentitySettings identity;
  OutputSettings output;
  ApiSettings api;
  RulesSettings rules;
  FileSensorSettings file_sensor;
  CaptureSettings capture;
  EnforcementSettings enforcement;
  AuditSettings audit;
};

// Outputs default to one stdout output when the file names none.
Result<AgentConfig> parse_agent_config(const YAML::Node& root, const std::string& file);
Result<AgentConfig> load_agent_config(const std::string& path);
AgentConfig default_agent_config();

}  // namespace ztai
