// The WorkloadPolicy model: what a policy file says, after checking, with the place each part came
// from. Parsing is in policy_parser.h; each `spec:` section has its own parse function and file
// (spec_sections.h), so a new section is a new member here, a new file and one line in the section
// table.
//
//   apiVersion: ztai.io/v1alpha1
//   kind: WorkloadPolicy
//   metadata: { name: model-server }
//   spec:
//     selector: { cgroup: "/ztai-test.slice/*" }   # k8s, container, systemd, cgroup, process
//     mode: enforce                                # or audit
//     egress:  { default: deny, allow: [ { cidr: 10.0.0.0/8, ports: [5432], protocol: tcp },
//                                        { fqdn: "*.huggingface.co", ports: [443] } ] }
//     ingress: { default: deny, allow: [ { from: { workload: agent-gateway }, ports: [8000] } ] }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/ip_address.h"
#include "agent/common/path_pattern.h"
#include "agent/policy/process_spec.h"

namespace ztai::policy {

// Where something was written: "file:line:col" in every error and status line.
struct SourceRef {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when unknown
  uint32_t column = 0;
  std::string str() const;
};

enum class Mode : uint8_t { kEnforce, kAudit };
enum class DefaultAction : uint8_t { kAllow, kDeny };
enum class Protocol : uint8_t { kAny, kTcp, kUdp };

std::string_view mode_name(Mode m);
std::string_view protocol_name(Protocol p);

// Which workloads a policy applies to. Every field given must match (AND); at least one is given.
// Patterns are the forms the kernel can match: exact, prefix ("x*") or suffix ("*x").
struct Selector {
  std::optional<std::string> k8s_namespace;
  std::map<std::string, std::string> k8s_labels;  // all must be present with these values
  std::optional<PathPattern> container_image;
  std::optional<PathPattern> systemd_unit;
  std::optional<PathPattern> cgroup_path;         // relative to the cgroup v2 mount: "/a.slice/*"
  std::optional<PathPattern> process_exe;         // a cgroup with a process running this binary
  SourceRef where;

  // True when it needs Kubernetes metadata (namespace or labels) to resolve.
  bool needs_kubernetes() const { return k8s_namespace.has_value() || !k8s_labels.empty(); }
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool operator==(const PortRange&) const = default;
};

struct Cidr {
  IpAddress address;   // host bits cleared
  uint8_t prefix_len = 0;
  bool contains(const IpAddress& a) const;
  std::string str() const;
  bool operator==(const Cidr&) const = default;
};

// One egress allow entry: a CIDR or a DNS name pattern, with ports (empty: all) and a protocol.
struct EgressRule {
  std::string name;  // `name:` when given, else "egress.allow[N]"
  std::optional<Cidr> cidr;
  std::optional<PathPattern> fqdn;  // lower case, without a trailing dot
  std::vector<PortRange> ports;
  Protocol protocol = Protocol::kAny;
  SourceRef where;
};

struct EgressSpec {
  bool present = false;  // the section was written; absent means this policy does not filter egress
  DefaultAction default_action = DefaultAction::kDeny;
  std::vector<EgressRule> allow;
};

// One ingress allow entry: connections from the workloads another policy selects.
struct IngressRule {
  std::string name;           // `name:` when given, else "ingress.allow[N]"
  std::string from_workload;  // metadata.name of the policy whose selector defines the peers
  std::vector<PortRange> ports;
  Protocol protocol = Protocol::kAny;
  SourceRef where;
};

struct IngressSpec {
  bool present = false;
  DefaultAction default_action = DefaultAction::kDeny;
  std::vector<IngressRule> allow;
};

struct WorkloadPolicy {
  std::string name;  // metadata.name, unique among loaded policies
  SourceRef where;   // the document's start
  Selector selector;
  Mode mode = Mode::kEnforce;
  EgressSpec egress;
  IngressSpec ingress;
  ProcessSpecs process;  // exec, files, io_uring, unix (process_spec.h)
};

}  // namespace ztai::policy
