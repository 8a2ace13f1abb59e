// `ztai status`: reads /metrics from the running agent and prints it grouped for a person:
// health, kernel and pipeline counters, then one line per output with its delivery state.
#include <map>

#include <fmt/format.h>

#include "agent/api/metrics_server.h"
#include "agent/cli/args.h"
#include "agent/cli/command_config.h"
#include "agent/cli/commands.h"
#include "agent/common/log.h"
#include "agent/config/agent_config.h"

namespace ztai {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

// One exposition line: name{a="x",b="y"} value. Label values come from our own renderer.
std::optional<Sample> parse_line(std::string_view line) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  Sample s;
  size_t brace = line.find('{');
  size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  s.value = std::string(line.substr(space + 1));
  if (brace == std::string_view::npos || brace > space) {
    s.name = std::string(line.substr(0, space));
    return s;
  }
  s.name = std::string(line.substr(0, brace));
  std::string_view rest = line.substr(brace + 1, line.rfind('}') - brace - 1);
  while (!rest.empty()) {
    size_t eq = rest.find("=\"");
    if (eq == std::string_view::npos) break;
    std::string key(rest.substr(0, eq));
    std::string value;
    size_t i = eq + 2;
    for (; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
      value += rest[i];
    }
    s.labels[key] = value;
    rest = rest.substr(std::min(rest.size(), i + 2));  // past `",`
  }
  return s;
}

std::string label_text(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, v);
  return out;
}

}  // namespace

int status_command(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}, {"config", "address"}, {}});
  if (!args) {
    log::error("status: {}", args.error().message());
    return 2;
  }
  auto config = command_config(*args);
  if (!config) {
    log::error("{}", config.error().message());
    return 2;
  }
  std::string address = config->api.listen;
  if (auto a = args->get("address")) address = *a;
  if (address.empty()) {
    log::error("status: the agent's api is off (api.listen is empty); give --address");
    return 2;
  }
  auto health = http_get_local(address, "/healthz");
  if (!health) {
    fmt::print("agent at {}: not reachable: {}\n", address, health.error().message());
    return 1;
  }
  auto text = http_get_local(address, "/metrics");
  if (!text) {
    fmt::print("agent at {}: {}\n", address, text.error().message());
    return 1;
  }
  fmt::print("agent at {}: healthy\n\n", address);
  std::map<std::string, std::map<std::string, std::string>> outputs;  // output -> column -> value
  std::vector<Sample> others;
  std::map<std::string, std::map<std::string, std::string>> policies;  // policy -> column -> value
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    auto s = parse_line(std::string_view(*text).substr(start, end - start));
    start = end + 1;
    if (!s) continue;
    if (s->name == "ztai_policy_status" || s->name == "ztai_policy_cgroups") {
      std::map<std::string, std::string>& p = policies[s->labels["policy"]];
      if (s->name == "ztai_policy_cgroups") {
        p["cgroups"] = s->value;
        p["mode"] = s->labels["mode"];
      } else {
        p["state"] = s->labels["state"];
        p["reasons"] = s->labels["reasons"];
      }
    } else if (s->name.starts_with("ztai_output_") && s->labels.count("output")) {
      std::string column = s->name.substr(12);
      if (s->labels.count("reason")) column += ":" + s->labels["reason"];
      outputs[s->labels["output"]][column] = s->value;
    } else {
      others.push_back(std::move(*s));
    }
  }
  fmt::print("{:<48} {:>14}\n", "metric", "value");
  for (const Sample& s : others) {
    std::string l = label_text(s.labels);
    fmt::print("{:<48} {:>14}\n", l.empty() ? s.name : fmt::format("{} {{{}}}", s.name, l), s.value);
  }
  if (!policies.empty()) {
    // A policy is never silently weaker than it reads: the state and the reasons, per policy.
    fmt::print("\n{:<24} {:<8} {:<20} {:>8}  {}\n", "policy", "mode", "state", "cgroups", "reasons");
    for (auto& [name, p] : policies) {
      fmt::print("{:<24} {:<8} {:<20} {:>8}  {}\n", name, p["mode"], p["state"], p["cgroups"], p["reasons"]);
    }
  }
  if (outputs.empty()) return 0;
  fmt::print("\n{:<16} {:>4} {:>12} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10}\n", "output", "up", "sent", "failed",
             "rejected", "dropped", "queue", "spool bytes", "avg ms");
  for (auto& [name, c] : outputs) {
    double dropped = 0;
    for (const auto& [k, v] : c) {
      if (k.starts_with("dropped_total")) dropped += std::stod(v);
    }
    double batches = c.count("batches_total") ? std::stod(c["batches_total"]) : 0;
    double us = c.count("send_microseconds_total") ? std::stod(c["send_microseconds_total"]) : 0;
    fmt::print("{:<16} {:>4} {:>12} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10.2f}\n", name, c["up"], c["sent_total"],
               c["failed_total"], c["rejected_total"], dropped, c["queue_depth"],
               c.count("spool_bytes") ? c["spool_bytes"] : "-", batches > 0 ? us / batches / 1000 : 0.0);
  }
  return 0;
}

}  // namespace ztai
