#include "agent/config/agent_config.h"

#include <gtest/gtest.h>

#include "agent/config/yaml_map.h"

namespace ztai {
namespace {

Result<AgentConfig> parse(const std::string& text) {
  auto node = yaml_load_string(text, "test.yaml");
  if (!node) return node.error();
  return parse_agent_config(*node, "test.yaml");
}

std::string error_of(const std::string& text) {
  auto c = parse(text);
  return c ? "" : c.error().message();
}

TEST(AgentConfig, ShippedFileDocumentsExactlyTheDefaults) {
  auto shipped = load_agent_config(ZTAI_SOURCE_DIR "/packaging/config/ztai.yaml");
  ASSERT_TRUE(shipped) << shipped.error().message();
  AgentConfig d = default_agent_config();
  EXPECT_EQ(shipped->log_level, d.log_level);
  EXPECT_EQ(shipped->lock_file, d.lock_file);
  EXPECT_EQ(shipped->kernel.control_ring_bytes, d.kernel.control_ring_bytes);
  EXPECT_EQ(shipped->kernel.data_ring_bytes, d.kernel.data_ring_bytes);
  EXPECT_EQ(shipped->kernel.poll_interval_ms, d.kernel.poll_interval_ms);
  EXPECT_EQ(shipped->kernel.wakeup_percent, d.kernel.wakeup_percent);
  EXPECT_EQ(shipped->kernel.max_args_bytes, d.kernel.max_args_bytes);
  EXPECT_EQ(shipped->capture.tls, d.capture.tls);
  EXPECT_EQ(shipped->capture.go_tls, d.capture.go_tls);
  EXPECT_EQ(shipped->capture.max_call_bytes, d.capture.max_call_bytes);
  EXPECT_EQ(shipped->capture.rescan_seconds, d.capture.rescan_seconds);
  EXPECT_EQ(shipped->capture.plain_ports, d.capture.plain_ports);
  EXPECT_EQ(shipped->capture.mcp_stdio_servers, d.capture.mcp_stdio_servers);
  EXPECT_EQ(shipped->capture.mcp_stdio_clients, d.capture.mcp_stdio_clients);
  EXPECT_EQ(shipped->capture.tls_sni, d.capture.tls_sni);
  EXPECT_EQ(shipped->kernel.tracefs, d.kernel.tracefs);
  EXPECT_EQ(shipped->kernel.bpffs, d.kernel.bpffs);
  EXPECT_EQ(shipped->process_table.max_processes, d.process_table.max_processes);
  EXPECT_EQ(shipped->process_table.exited_grace_ns, d.process_table.exited_grace_ns);
  EXPECT_EQ(shipped->identity.trust_domain, d.identity.trust_domain);
  EXPECT_EQ(shipped->identity.node_name, d.identity.node_name);
  EXPECT_EQ(shipped->identity.max_cgroups, d.identity.max_cgroups);
  EXPECT_EQ(shipped->identity.kubernetes.enabled, d.identity.kubernetes.enabled);
  EXPECT_EQ(shipped->identity.kubernetes.api_server, d.identity.kubernetes.api_server);
  EXPECT_EQ(shipped->identity.kubernetes.kubeconfig, d.identity.kubernetes.kubeconfig);
  EXPECT_EQ(shipped->identity.kubernetes.token_file, d.identity.kubernetes.token_file);
  EXPECT_EQ(shipped->identity.kubernetes.ca_file, d.identity.kubernetes.ca_file);
  EXPECT_EQ(shipped->identity.kubernetes.watch_timeout_seconds, d.identity.kubernetes.watch_timeout_seconds);
  EXPECT_EQ(shipped->identity.kubernetes.retry_max_seconds, d.identity.kubernetes.retry_max_seconds);
  EXPECT_EQ(shipped->identity.exe_hash.enabled, d.identity.exe_hash.enabled);
  EXPECT_EQ(shipped->identity.exe_hash.max_file_bytes, d.identity.exe_hash.max_file_bytes);
  EXPECT_EQ(shipped->identity.exe_hash.cache_entries, d.identity.exe_hash.cache_entries);
  EXPECT_EQ(shipped->output.events, d.output.events);
  EXPECT_EQ(shipped->output.queue_capacity, d.output.queue_capacity);
  EXPECT_EQ(shipped->api.listen, d.api.listen);
  ASSERT_EQ(shipped->output.outputs.size(), 1u);
  EXPECT_EQ(shipped->output.outputs[0]["type"].Scalar(), "stdout");
  EXPECT_EQ(shipped->rules.paths, d.rules.paths);
  EXPECT_EQ(shipped->rules.match_first, d.rules.match_first);
  EXPECT_EQ(shipped->rules.watch_interval_seconds, d.rules.watch_interval_seconds);
  EXPECT_EQ(shipped->rules.alerts_per_window, d.rules.alerts_per_window);
  EXPECT_EQ(shipped->rules.alert_window_seconds, d.rules.alert_window_seconds);
  EXPECT_EQ(shipped->rules.bundles_dir, d.rules.bundles_dir);
  EXPECT_EQ(shipped->rules.reorder_window_ms, d.rules.reorder_window_ms);
  EXPECT_EQ(shipped->audit.ai, d.audit.ai);
  EXPECT_EQ(shipped->audit.content, d.audit.content);
  EXPECT_EQ(shipped->audit.max_content_bytes, d.audit.max_content_bytes);
  EXPECT_EQ(shipped->rules.sequence_max_states, d.rules.sequence_max_states);
  EXPECT_EQ(shipped->enforcement.policies_dir, d.enforcement.policies_dir);
  EXPECT_EQ(shipped->enforcement.policies, d.enforcement.policies);
  EXPECT_EQ(shipped->enforcement.root_cgroup, d.enforcement.root_cgroup);
  EXPECT_EQ(shipped->enforcement.persist, d.enforcement.persist);
  EXPECT_EQ(shipped->enforcement.pin_root, d.enforcement.pin_root);
  EXPECT_EQ(shipped->enforcement.fqdn.min_ttl_seconds, d.enforcement.fqdn.min_ttl_seconds);
  EXPECT_EQ(shipped->enforcement.fqdn.grace_seconds, d.enforcement.fqdn.grace_seconds);
  EXPECT_EQ(shipped->enforcement.fqdn.resolvers, d.enforcement.fqdn.resolvers);
}

TEST(AgentConfig, FqdnSettings) {
  auto c = parse("enforcement:\n  fqdn:\n    min_ttl_seconds: 1\n    grace_seconds: 0\n"
                 "    resolvers: [10.96.0.10, \"127.0.0.53:53\", \"[fd00::a]:5353\"]\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->enforcement.fqdn.min_ttl_seconds, 1u);
  EXPECT_EQ(c->enforcement.fqdn.grace_seconds, 0u);
  EXPECT_EQ(c->enforcement.fqdn.resolvers.size(), 3u);
  auto bad = parse("enforcement:\n  fqdn:\n    resolvers: [10.0.0.1, \"resolver.local\"]\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find(":3:"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("enforcement.fqdn.resolvers: DNS server 'resolver.local' is not an IP address"),
            std::string::npos)
      << bad.error().message();
  EXPECT_FALSE(parse("enforcement:\n  fqdn:\n    min_ttl_seconds: 0\n"));
}

TEST(AgentConfig, EnforcementSettings) {
  auto c = parse("enforcement:\n  policies: [/etc/ztai/policies]\n  root_cgroup: /sys/fs/cgroup/x\n  persist: true\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->enforcement.policies, std::vector<std::string>{"/etc/ztai/policies"});
  EXPECT_EQ(c->enforcement.root_cgroup, "/sys/fs/cgroup/x");
  EXPECT_TRUE(c->enforcement.persist);
  EXPECT_EQ(c->enforcement.pin_root, "/sys/fs/bpf/ztai");
  auto pinned = parse("enforcement:\n  pin_root: /sys/fs/bpf/test/\n");
  ASSERT_TRUE(pinned) << pinned.error().message();
  EXPECT_EQ(pinned->enforcement.pin_root, "/sys/fs/bpf/test");
  for (const char* root : {"relative", "/", "\"\""}) {
    auto r = parse(fmt::format("enforcement:\n  pin_root: {}\n", root));
    ASSERT_FALSE(r) << root;
    EXPECT_NE(r.error().message().find("enforcement.pin_root:"), std::string::npos) << r.error().message();
  }
  auto bad = parse("enforcement:\n  root_cgroup: relative\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("enforcement.root_cgroup: 'relative' is not an absolute path"),
            std::string::npos)
      << bad.error().message();
}

TEST(AgentConfig, EmptyFileGivesDefaultsWithStdout) {
  auto c = parse("");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->kernel.poll_interval_ms, 10u);
  ASSERT_EQ(c->output.outputs.size(), 1u);
}

TEST(AgentConfig, ReadsValues) {
  auto c = parse(
      "kernel:\n  control_ring_bytes: 65536\n  max_args_bytes: 128\n"
      "process_table: {max_processes: 2048, exited_grace_seconds: 2}\n"
      "output:\n  events: true\n  outputs:\n    - {type: file, path: /tmp/x}\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->kernel.control_ring_bytes, 65536u);
  EXPECT_EQ(c->kernel.max_args_bytes, 128u);
  EXPECT_EQ(c->process_table.max_processes, 2048u);
  EXPECT_EQ(c->process_table.exited_grace_ns, 2'000'000'000u);
  EXPECT_TRUE(c->output.events);
  EXPECT_EQ(c->output.outputs[0]["path"].Scalar(), "/tmp/x");
}

TEST(AgentConfig, UnknownKeysAreRejectedWithFileLineAndColumn) {
  EXPECT_EQ(error_of("kernel:\n  poll_interval_ms: 5\n  pol_interval: 3\n"),
            "test.yaml:3:3: unknown key 'pol_interval' in kernel (known: bpffs, control_ring_bytes, data_ring_bytes, "
            "max_args_bytes, poll_interval_ms, tracefs, wakeup_percent)");
  EXPECT_NE(error_of("colour: blue\n").find("test.yaml:1:1: unknown key 'colour' in the top level"), std::string::npos);
}

TEST(AgentConfig, ReadsIdentity) {
  auto c = parse("identity:\n  trust_domain: example.org\n  node_name: n1\n"
                 "  kubernetes: {enabled: 'true', kubeconfig: /k, watch_timeout_seconds: 60}\n"
                 "  exe_hash: {enabled: false}\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->identity.trust_domain, "example.org");
  EXPECT_EQ(c->identity.node_name, "n1");
  EXPECT_EQ(c->identity.kubernetes.enabled, "true");
  EXPECT_EQ(c->identity.kubernetes.kubeconfig, "/k");
  EXPECT_EQ(c->identity.kubernetes.watch_timeout_seconds, 60u);
  EXPECT_FALSE(c->identity.exe_hash.enabled);
  EXPECT_EQ(error_of("identity:\n  trust_domain: Example.ORG\n"),
            "test.yaml:2:17: identity.trust_domain: 'Example.ORG' may hold only lower-case letters, digits, '.', '-' "
            "and '_'");
  EXPECT_EQ(error_of("identity:\n  kubernetes:\n    enabled: maybe\n"),
            "test.yaml:3:14: identity.kubernetes.enabled: 'maybe' is not auto, true or false");
  EXPECT_NE(error_of("identity:\n  kubernetes:\n    server: x\n").find("test.yaml:3:5: unknown key 'server'"),
            std::string::npos);
}

TEST(AgentConfig, BadValuesNameTheirPlace) {
  EXPECT_EQ(error_of("kernel:\n  poll_interval_ms: 0\n"), "test.yaml:2:21: kernel.poll_interval_ms: 0 is outside [1, 1000]");
  EXPECT_EQ(error_of("kernel:\n  data_ring_bytes: 100000\n"),
            "test.yaml:2:20: kernel.data_ring_bytes: 100000 is not a power of two");
  EXPECT_EQ(error_of("kernel:\n  max_args_bytes: lots\n"),
            "test.yaml:2:19: kernel.max_args_bytes: 'lots' is not a non-negative integer");
  EXPECT_EQ(error_of("output:\n  events: maybe\n"), "test.yaml:2:11: output.events: expected true or false");
  EXPECT_EQ(error_of("log_level: loud\n"), "test.yaml:1:12: log_level: 'loud' is not one of debug, info, warn, error");
  EXPECT_EQ(error_of("kernel: 3\n"), "test.yaml:1:9: kernel must be a mapping");
  EXPECT_NE(error_of("output:\n  outputs:\n    - {path: x}\n").find("test.yaml:3:7: each output needs a 'type'"),
            std::string::npos);
}

TEST(AgentConfig, SyntaxErrorsCarryTheirPosition) {
  auto node = yaml_load_string("kernel: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().message().rfind("bad.yaml:", 0), 0u) << node.error().message();
  auto missing = load_agent_config("/nonexistent/ztai.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "/nonexistent/ztai.yaml: cannot open the file");
}

}  // namespace
}  // namespace ztai
