// Rule evaluation throughput: the shipped rule pack (rules/host) against a synthetic mix of the
// events the sensors produce (execve, openat, connect, clone, procexit) from a realistic process
// tree.
// Target: at least 1,000,000 events per second on one core (items_per_second).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <random>

#include "agent/rules/rule_loader.h"

namespace ztai::rules {
namespace {

struct Workload {
  MetricsRegistry metrics;
  ProcessTable table{{}, "bench", metrics};
  BootClock clock{0};
  std::vector<Event> events;
  std::shared_ptr<const RuleSet> rules;

  Workload() {
    LoadedRules loaded = load_rules({ZTAI_SOURCE_DIR "/rules/host"}, false, builtin_fields());
    if (!loaded.rules) throw std::runtime_error(loaded.diags.errors_text());
    rules = loaded.rules;

    // A host: init, servers, shells, an AI agent in python, and their children. A few of them are
    // what the rules look for (a shell under nginx, pip under python), most are not.
    struct P {
      const char* exe;
      std::vector<std::string> argv;
      int parent;
      uint32_t uid;
    };
    const std::vector<P> procs = {
        {"/sbin/init", {"/sbin/init"}, -1, 0},
        {"/usr/sbin/nginx", {"nginx", "-g", "daemon off;"}, 0, 33},
        {"/usr/bin/python3", {"python3", "/srv/agent/main.py", "--model", "gpt"}, 0, 1000},
        {"/usr/bin/bash", {"bash", "-l"}, 0, 1000},
        {"/usr/sbin/sshd", {"sshd", "-D"}, 0, 0},
        {"/usr/lib/postgresql/15/bin/postgres", {"postgres", "-D", "/var/lib/postgresql"}, 0, 106},
        {"/usr/bin/node", {"node", "server.js"}, 0, 1000},
        {"/bin/sh", {"sh", "-c", "id"}, 1, 33},
        {"/usr/bin/pip", {"pip", "install", "requests"}, 2, 1000},
        {"/usr/bin/git", {"git", "status", "--porcelain"}, 3, 1000},
        {"/usr/bin/ls", {"ls", "-la", "/home/user/projects"}, 3, 1000},
        {"/usr/bin/grep", {"grep", "-r", "TODO", "."}, 3, 1000},
        {"/usr/bin/curl", {"curl", "-s", "https://api.example.com/v1/models"}, 2, 1000},
        {"/usr/bin/cat", {"cat", "/etc/hostname"}, 6, 1000},
        {"/usr/bin/python3", {"python3", "-c", "import sys; print(sys.version)"}, 2, 1000},
        {"/usr/bin/make", {"make", "-j2"}, 3, 1000},
        {"/usr/bin/cc", {"cc", "-O2", "-c", "main.c"}, 15, 1000},
        {"/usr/bin/sed", {"sed", "-n", "1,20p", "log.txt"}, 3, 1000},
        {"/tmp/build/tool", {"tool", "--version"}, 3, 1000},
        {"/usr/bin/apt-get", {"apt-get", "update"}, 3, 0},
    };
    std::vector<ProcKey> keys;
    uint64_t t = 1;
    for (size_t i = 0; i < procs.size(); ++i) {
      ProcKey key{static_cast<uint32_t>(100 + i), 1000 + i};
      ExecPayload e;
      e.parent = procs[i].parent < 0 ? ProcKey{} : keys[static_cast<size_t>(procs[i].parent)];
      e.filename = procs[i].exe;
      e.argv = procs[i].argv;
      e.uid = e.euid = procs[i].uid;
      Event ev{EventHeader{EventType::kExec, t++, key.tgid, 0, key, 42}, e};
      table.apply(ev);
      keys.push_back(key);
    }
    const std::vector<std::pair<const char*, uint32_t>> files = {
        {"/etc/hosts", O_RDONLY},          {"/usr/lib/x86_64-linux-gnu/libssl.so.3", O_RDONLY},
        {"/home/user/projects/main.c", O_RDONLY}, {"/tmp/build/out.o", O_WRONLY | O_CREAT | O_TRUNC},
        {"/var/log/nginx/access.log", O_WRONLY | O_APPEND}, {"/etc/shadow", O_RDONLY},
        {"/srv/agent/cache/session.json", O_RDWR | O_CREAT}, {"/usr/local/bin/tool", O_WRONLY | O_CREAT}};
    const std::vector<std::pair<const char*, uint16_t>> peers = {
        {"10.0.3.7", 5432}, {"203.0.113.10", 443}, {"127.0.0.1", 6379}, {"192.0.2.80", 80}, {"::1", 8080}};
    // The mix: a third execve, a third openat, a sixth connect, the rest clone and procexit.
    std::mt19937 rng(7);
    for (int n = 0; n < 4096; ++n) {
      size_t i = 1 + rng() % (procs.size() - 1);
      const ProcKey& key = keys[i];
      unsigned kind = rng() % 6;
      if (kind >= 2 && kind < 4) {
        const auto& [path, flags] = files[rng() % files.size()];
        FilePayload f;
        f.res = 3;
        f.flags = flags;
        f.path = path;
        events.push_back(Event{EventHeader{EventType::kOpenat, t++, key.tgid, 0, key, 42}, f});
        continue;
      }
      if (kind == 4) {
        const auto& [ip, port] = peers[rng() % peers.size()];
        NetPayload c;
        c.proto = IPPROTO_TCP;
        c.fd = 3;
        c.saddr = *IpAddress::parse("10.0.0.2");
        c.daddr = *IpAddress::parse(ip);
        c.sport = 41000;
        c.dport = port;
        events.push_back(Event{EventHeader{EventType::kConnect, t++, key.tgid, 0, key, 42}, c});
        continue;
      }
      if (kind < 2) {
        ExecPayload e;
        e.parent = table.find(key)->parent;
        e.filename = procs[i].exe;
        e.argv = procs[i].argv;
        e.uid = e.euid = procs[i].uid;
        events.push_back(Event{EventHeader{EventType::kExec, t++, key.tgid, 0, key, 42}, e});
      } else if (rng() % 2) {
        const ProcKey& child = keys[1 + rng() % (procs.size() - 1)];
        events.push_back(Event{EventHeader{EventType::kFork, t++, key.tgid, 0, key, 42}, ForkPayload{child, key, 42, child.tgid}});
      } else {
        events.push_back(Event{EventHeader{EventType::kExit, t++, key.tgid, 0, key, 42}, ExitPayload{rng() % 8 ? 0u : 0x8bu}});
      }
    }
  }
};

Workload& workload() {
  static Workload w;
  return w;
}

// Evaluation alone: the field cache, the event-type index and every candidate rule's condition.
void BM_ShippedRules(benchmark::State& state) {
  Workload& w = workload();
  RuleEvaluator eval(w.rules, MatchMode::kAll);
  size_t i = 0, matched = 0;
  for (auto _ : state) {
    const Event& e = w.events[i++ & 4095];
    EventContext ctx{e, w.table.find(e.hdr.proc), w.table, w.clock};
    matched += eval.evaluate(ctx).size();
  }
  benchmark::DoNotOptimize(matched);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["match_ratio"] = static_cast<double>(matched) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ShippedRules);

// The same, plus building the alert record (output rendered, output_fields) for every match.
void BM_ShippedRulesWithAlerts(benchmark::State& state) {
  Workload& w = workload();
  RuleEvaluator eval(w.rules, MatchMode::kAll);
  size_t i = 0;
  for (auto _ : state) {
    const Event& e = w.events[i++ & 4095];
    EventContext ctx{e, w.table.find(e.hdr.proc), w.table, w.clock};
    for (const CompiledRule* r : eval.evaluate(ctx)) benchmark::DoNotOptimize(eval.alert(*r, ctx, "bench"));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ShippedRulesWithAlerts);

}  // namespace
}  // namespace ztai::rules

BENCHMARK_MAIN();
