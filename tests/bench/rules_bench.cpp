// Rule evaluation throughput: the shipped rule pack (rules/host) against a synthetic mix of the
// events the sensors produce (execve, openat, connect, clone, procexit) from a realistic process
// tree.
// Target: at least 1,000,000 events per second on one core (items_per_second).
// Also the AI rule pack with its sequence rules, and the sequence stage alone.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <random>

#include "agent/rules/rule_loader.h"
#include "agent/rules/sequence_engine.h"

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

// The AI rule pack with its sequence rules, over events of 256 workloads that take the sequences'
// steps: weights read by cp, TCP closes with bytes out, LLM requests and responses with tokens,
// pickle loads by python, execs. Times advance 10 us per event; the reorder window is 50 ms.
struct AiWorkload {
  MetricsRegistry metrics;
  ProcessTable table{{}, "bench", metrics};
  BootClock clock{0};
  std::vector<Event> events;
  std::shared_ptr<const RuleSet> rules;

  AiWorkload() {
    LoadedRules loaded = load_rules({ZTAI_SOURCE_DIR "/rules/ai"}, false, builtin_fields());
    if (!loaded.rules) throw std::runtime_error(loaded.diags.errors_text());
    rules = loaded.rules;
    std::mt19937 rng(11);
    const std::vector<std::pair<const char*, std::vector<std::string>>> progs = {
        {"/usr/bin/cp", {"cp", "/models/m.safetensors", "/tmp/m"}},
        {"/usr/bin/python3", {"python3", "agent.py"}},
        {"/usr/bin/node", {"node", "agent.js"}},
        {"/usr/bin/curl", {"curl", "-s", "https://example.com/"}}};
    constexpr uint32_t kWorkloads = 256;
    std::vector<ProcKey> keys;
    for (uint32_t w = 0; w < kWorkloads; ++w) {
      for (uint32_t p = 0; p < progs.size(); ++p) {
        ProcKey key{1000 + w * 8 + p, 1};
        ExecPayload e;
        e.filename = progs[p].first;
        e.argv = progs[p].second;
        table.apply(Event{EventHeader{EventType::kExec, 1, key.tgid, 0, key, 5000 + w}, e});
        keys.push_back(key);
      }
    }
    for (int n = 0; n < 4096; ++n) {
      uint32_t w = rng() % kWorkloads;
      uint64_t cg = 5000 + w;
      unsigned kind = rng() % 6;
      const ProcKey& key = keys[w * progs.size() + (kind == 0 ? 0 : kind == 4 ? 1 : kind == 2 || kind == 3 ? 2 : 3)];
      EventHeader h{EventType::kOpenat, 0, key.tgid, 0, key, cg};
      if (kind == 0 || kind == 4) {
        FilePayload f;
        f.res = 3;
        f.path = kind == 0 ? "/models/m.safetensors" : "/srv/models/c.pkl";
        events.push_back(Event{h, f});
      } else if (kind == 1) {
        h.type = EventType::kTcpClose;
        NetPayload c;
        c.proto = IPPROTO_TCP;
        c.daddr = *IpAddress::parse("203.0.113.10");
        c.dport = 443;
        c.bytes_out = 1'000'000 + rng() % 1'000'000;
        events.push_back(Event{h, c});
      } else if (kind == 2 || kind == 3) {
        h.type = kind == 2 ? EventType::kLlmRequest : EventType::kLlmResponse;
        LlmPayload l;
        l.provider = "openai";
        l.model = "gpt-4o";
        l.prompt = "Summarise the notes of the meeting.";
        if (kind == 3) {
          l.tokens_in = 2000 + rng() % 2000;
          l.tokens_out = 300;
        }
        events.push_back(Event{h, l});
      } else {
        h.type = EventType::kExec;
        ExecPayload e;
        e.filename = "/usr/bin/curl";
        e.argv = {"curl", "-s", "https://example.com/"};
        events.push_back(Event{h, e});
      }
    }
  }
};

AiWorkload& ai_workload() {
  static AiWorkload w;
  return w;
}

// Evaluation (stateless rules and sequence steps) plus the sequence stage: events per second.
void BM_AiRulesWithSequences(benchmark::State& state) {
  AiWorkload& w = ai_workload();
  RuleEvaluator eval(w.rules, MatchMode::kAll);
  SequenceEngine engine(w.rules, SequenceSettings{}, w.metrics, w.table, w.clock, "bench");
  std::vector<SequenceAlert> alerts;
  size_t i = 0, observed = 0, fired = 0;
  uint64_t t = 1'000'000'000;
  for (auto _ : state) {
    Event& e = w.events[i++ & 4095];
    e.hdr.boot_ns = t += 10'000;
    EventContext ctx{e, w.table.find(e.hdr.proc), w.table, w.clock};
    benchmark::DoNotOptimize(eval.evaluate(ctx).size());
    observed += eval.observations().size();
    engine.push(eval.observations(), t, alerts);
    fired += alerts.size();
    alerts.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["step_matches_per_event"] = static_cast<double>(observed) / static_cast<double>(state.iterations());
  state.counters["sequence_alerts"] = static_cast<double>(fired);
  state.counters["states"] = static_cast<double>(engine.states());
}
BENCHMARK(BM_AiRulesWithSequences);

// The sequence stage alone: observations (what events matched of the steps) through the reorder
// buffer and the per-key state machines: items are observations per second.
void BM_SequenceStage(benchmark::State& state) {
  AiWorkload& w = ai_workload();
  RuleEvaluator eval(w.rules, MatchMode::kAll);
  std::vector<SequenceObservation> all;
  uint64_t t = 1;
  for (Event& e : w.events) {
    e.hdr.boot_ns = t++;
    EventContext ctx{e, w.table.find(e.hdr.proc), w.table, w.clock};
    eval.evaluate(ctx);
    for (SequenceObservation& o : eval.observations()) all.push_back(std::move(o));
  }
  if (all.empty()) throw std::runtime_error("no event matched a sequence step");
  SequenceEngine engine(w.rules, SequenceSettings{}, w.metrics, w.table, w.clock, "bench");
  std::vector<SequenceObservation> batch(1);
  std::vector<SequenceAlert> alerts;
  size_t i = 0, fired = 0;
  t = 1'000'000'000;
  for (auto _ : state) {
    batch.resize(1);
    batch[0] = all[i++ % all.size()];
    batch[0].boot_ns = t += 10'000;
    engine.push(batch, t, alerts);
    fired += alerts.size();
    alerts.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["sequence_alerts"] = static_cast<double>(fired);
  state.counters["states"] = static_cast<double>(engine.states());
}
BENCHMARK(BM_SequenceStage);

}  // namespace
}  // namespace ztai::rules

BENCHMARK_MAIN();
