// DLP scan throughput on mixed text (target: >= 1 GB/s on one core).
//
// The mix, by bytes: ~45% English prose, ~25% JSON chat-completion messages, ~15% source code,
// ~15% log lines (timestamps, IPs, ids, numbers), with one secret or personal datum (key, token,
// e-mail, phone, card, IBAN, SSN) about every 4 KiB. The text is generated, so the figure is
// reproducible; the same generator also builds a digit-dense and a secret-free variant.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "agent/detect/dlp/dlp_scanner.h"

namespace {

using ztai::detect::DlpScanner;

class Rng {
 public:
  explicit Rng(unsigned seed) : x_(seed) {}
  unsigned next() {
    x_ = x_ * 1103515245u + 12345u;
    return x_ >> 8;
  }
  std::size_t below(std::size_t n) { return next() % n; }

 private:
  unsigned x_;
};

// Common English words; the ones the generic-secret pattern keys on (key, token, password, secret)
// appear at the rate of any other word, not more.
const std::vector<std::string> kWords = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with",
    "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which",
    "but", "have", "an", "they", "you", "were", "her", "all", "she", "there", "would", "their",
    "we", "him", "been", "has", "when", "who", "will", "no", "more", "if", "out", "so",
    "up", "said", "what", "its", "about", "than", "into", "them", "can", "only", "other", "time",
    "new", "some", "could", "these", "two", "may", "first", "then", "do", "any", "like", "my",
    "now", "over", "such", "our", "man", "me", "even", "most", "made", "after", "also", "did",
    "many", "before", "must", "through", "back", "years", "where", "much", "your", "way", "well", "down",
    "should", "because", "each", "just", "those", "people", "how", "too", "little", "state", "good", "very",
    "make", "world", "still", "own", "see", "men", "work", "long", "get", "here", "between", "both",
    "life", "being", "under", "never", "day", "same", "another", "know", "while", "last", "might", "us",
    "great", "old", "year", "off", "come", "since", "against", "go", "came", "right", "used", "take",
    "three", "states", "himself", "few", "house", "use", "during", "without", "again", "place", "american", "around",
    "however", "home", "small", "found", "thought", "went", "say", "part", "once", "general", "high", "upon",
    "school", "every", "does", "got", "united", "left", "number", "course", "war", "until", "always", "away",
    "something", "fact", "though", "water", "less", "public", "put", "think", "almost", "hand", "enough", "far",
    "took", "head", "yet", "government", "system", "better", "set", "told", "nothing", "night", "end", "why",
    "called", "didn", "find", "look", "asked", "later", "point", "knew", "city", "next", "program", "business",
    "give", "group", "toward", "young", "days", "let", "room", "president", "side", "social", "given", "present",
    "several", "order", "national", "second", "possible", "rather", "per", "face", "among", "form", "important", "often",
    "things", "looking", "early", "white", "case", "john", "become", "large", "big", "need", "four", "within",
    "felt", "along", "children", "saw", "best", "church", "ever", "least", "power", "development", "light", "thing",
    "seemed", "family", "interest", "want", "members", "mind", "country", "area", "others", "done", "turned", "although",
    "open", "god", "service", "certain", "kind", "problem", "began", "different", "door", "thus", "help", "sense",
    "means", "whole", "matter", "perhaps", "itself", "york", "times", "law", "human", "line", "above", "name",
    "example", "action", "company", "hands", "local", "show", "whether", "five", "history", "gave", "today", "either",
    "act", "feet", "across", "taken", "past", "quite", "anything", "seen", "having", "death", "week", "experience",
    "body", "word", "half", "really", "field", "am", "car", "words", "already", "themselves", "information", "tell",
    "together", "college", "shall", "money", "period", "held", "keep", "sure", "probably", "free", "seems", "political",
    "real", "behind", "cannot", "miss", "question", "air", "office", "making", "brought", "whose", "special", "heard",
    "major", "problems", "ago", "became", "federal", "moment", "study", "available", "known", "result", "street", "economic",
    "boy", "position", "reason", "change", "south", "board", "individual", "job", "society", "areas", "west", "close",
    "turn", "love", "community", "true", "court", "force", "full", "seem", "model", "request", "please", "summarise",
    "report", "data", "customer", "should", "return", "value", "quarterly", "results", "analysis", "agent", "tool", "call",
    "response", "context", "document", "retrieval", "answer", "key", "token", "password", "secret", "account", "email", "phone",
    "risk", "review", "policy"};

std::string sentence(Rng& rng) {
  std::string s;
  std::size_t n = 8 + rng.below(14);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kWords[rng.below(kWords.size())];
  }
  s += ". ";
  return s;
}

std::string random_token(Rng& rng, std::size_t n) {
  static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kAlpha[rng.below(62)];
  return s;
}

std::string sensitive(Rng& rng) {
  switch (rng.below(8)) {
    case 0: return "AKIAIOSFODNN7EXAMPLE";
    case 1: return "ghp_" + random_token(rng, 36);
    case 2: return "sk-proj-" + random_token(rng, 64);
    case 3: return "jane.doe" + std::to_string(rng.below(1000)) + "@example.com";
    case 4: return "+1 415 555 " + std::to_string(1000 + rng.below(9000));
    case 5: return "4111 1111 1111 1111";
    case 6: return "GB82 WEST 1234 5698 7654 32";
    default: return "123-45-6789";
  }
}

std::string mixed_text(std::size_t size, bool with_sensitive, unsigned seed) {
  Rng rng(seed);
  std::string out;
  std::size_t next_sensitive = 4096;
  while (out.size() < size) {
    std::size_t kind = rng.below(100);
    if (kind < 45) {
      for (int i = 0; i < 4; ++i) out += sentence(rng);
      out += "\n\n";
    } else if (kind < 70) {
      out += R"({"role":"user","content":")" + sentence(rng) + sentence(rng) + R"("},{"role":"assistant","content":")" +
             sentence(rng) + R"(","tool_calls":[{"id":"call_)" + random_token(rng, 24) +
             R"(","function":{"name":"read_file","arguments":"{\"path\":\"/srv/app/config.yaml\"}"}}]})" + "\n";
    } else if (kind < 85) {
      out += "def handle(request, ctx):\n    total = sum(x * 2 for x in range(" + std::to_string(rng.below(1000)) +
             "))\n    if total > 42:\n        return {\"status\": 200, \"count\": total}\n    raise ValueError(\"bad\")\n";
    } else {
      out += "2026-11-26T14:" + std::to_string(10 + rng.below(50)) + ":" + std::to_string(10 + rng.below(50)) +
             ".123Z INFO req=" + random_token(rng, 12) + " src=10.0." + std::to_string(rng.below(255)) + "." +
             std::to_string(rng.below(255)) + " dur_ms=" + std::to_string(rng.below(5000)) + " bytes=" +
             std::to_string(rng.below(1000000)) + " status=200\n";
    }
    if (with_sensitive && out.size() >= next_sensitive) {
      out += " " + sensitive(rng) + " ";
      next_sensitive += 4096;
    }
  }
  out.resize(size);
  return out;
}

std::string digit_dense(std::size_t size) {
  Rng rng(7);
  std::string out;
  while (out.size() < size) {
    out += std::to_string(rng.next()) + "," + std::to_string(rng.below(100000)) + ",2026-11-26," +
           std::to_string(rng.below(1000)) + "-" + std::to_string(rng.below(100)) + "\n";
  }
  out.resize(size);
  return out;
}

void scan(benchmark::State& state, const std::string& text) {
  auto scanner = DlpScanner::create();
  if (!scanner) {
    state.SkipWithError(scanner.error().message().c_str());
    return;
  }
  std::size_t findings = 0;
  for (auto _ : state) {
    auto result = scanner->scan(text);
    findings = result ? result->size() : 0;
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["findings"] = static_cast<double>(findings);
}

void BM_DlpMixedText(benchmark::State& state) {
  static const std::string text = mixed_text(static_cast<std::size_t>(state.range(0)), true, 1);
  scan(state, text);
}
BENCHMARK(BM_DlpMixedText)->Arg(4 << 20)->Unit(benchmark::kMillisecond);

void BM_DlpMixedTextNoFindings(benchmark::State& state) {
  static const std::string text = mixed_text(static_cast<std::size_t>(state.range(0)), false, 2);
  scan(state, text);
}
BENCHMARK(BM_DlpMixedTextNoFindings)->Arg(4 << 20)->Unit(benchmark::kMillisecond);

// A typical prompt: small inputs pay the per-scan cost (scratch, callbacks, sorting).
void BM_DlpPrompt(benchmark::State& state) {
  const std::string text = mixed_text(static_cast<std::size_t>(state.range(0)), true, 3);
  scan(state, text);
}
BENCHMARK(BM_DlpPrompt)->Arg(2048)->Arg(16384);

// Worst case for the PII patterns: numbers everywhere (CSV exports, logs of ids).
void BM_DlpDigitDense(benchmark::State& state) {
  static const std::string text = digit_dense(static_cast<std::size_t>(state.range(0)));
  scan(state, text);
}
BENCHMARK(BM_DlpDigitDense)->Arg(4 << 20)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
