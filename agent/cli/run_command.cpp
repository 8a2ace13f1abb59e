#include <csignal>

#include "agent/cli/args.h"
#include "agent/cli/command_config.h"
#include "agent/cli/commands.h"
#include "agent/common/log.h"
#include "agent/config/agent_config.h"
#include "agent/pipeline/agent_runner.h"
#include "agent/service/service_notifier.h"

namespace ztai {
namespace {

std::atomic<bool> g_stop{false};

void on_stop_signal(int) { g_stop.store(true); }

std::atomic<bool> g_reload{false};

void on_reload_signal(int) { g_reload.store(true); }

log::Level parse_level(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

}  // namespace

int run_command(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{"events"}, {"config", "output", "log-level"}, {"rules", "policy"}});
  if (!args) {
    log::error("run: {}", args.error().message());
    return 2;
  }
  if (!args->positional.empty()) {
    log::error("run: unexpected argument '{}'", args->positional.front());
    return 2;
  }

  auto config = command_config(*args);
  if (!config) {
    log::error("{}", config.error().message());
    // The service manager shows it in `systemctl status` (the run's own notifier is not made yet).
    (void)ServiceNotifier::from_environment().status("start-up failed: " + config.error().message());
    return 2;
  }
  if (args->has("events")) config->output.events = true;
  if (auto out = args->get("output")) {
    config->output.outputs = {YAML::Load("{type: file}")};
    config->output.outputs[0]["path"] = *out;
  }
  if (auto level = args->get("log-level")) config->log_level = *level;
  if (auto it = args->options.find("rules"); it != args->options.end()) {
    config->rules.paths = it->second;
    config->rules.paths_required = true;
  }
  if (auto it = args->options.find("policy"); it != args->options.end()) {
    config->enforcement.policies = it->second;
  }
  log::set_level(parse_level(config->log_level));

  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction hup = {};
  hup.sa_handler = on_reload_signal;
  sigaction(SIGHUP, &hup, nullptr);

  // Under systemd (Type=notify) the manager learns readiness, reloads, liveness and the stop from
  // here; a manager that cannot be told is worth one warning, not a failed run.
  const ServiceNotifier notifier = ServiceNotifier::from_environment();
  std::atomic<bool> notify_warned{false};
  auto notify = [&](Status sent) {
    if (!sent && !notify_warned.exchange(true)) log::warn("service manager: {}", sent.error().message());
  };
  RunHooks hooks;
  hooks.reload = &g_reload;
  hooks.on_ready = [&](const std::string& summary) { notify(notifier.ready(summary)); };
  hooks.on_tick = [&] { notify(notifier.watchdog()); };
  hooks.on_reload_requested = [&] { notify(notifier.reloading("reloading rules")); };
  // READY=1 after a failed reload too: the agent runs on with its previous rules.
  hooks.on_reloaded = [&](bool, const std::string& summary) { notify(notifier.ready(summary)); };
  hooks.on_stopping = [&] { notify(notifier.stopping("stopping: draining outputs, detaching programs")); };
  Status s = run_agent(*config, g_stop, hooks);
  if (!s) {
    log::error("{}", s.error().message());
    notify(notifier.status("start-up failed: " + s.error().message()));
    return 1;
  }
  return 0;
}

}  // namespace ztai
