// Precision, recall and F1 of the prompt-injection detector on a labelled corpus: lines of
// "<label>\t<text>", label 1 for an injection, with \\ \t \r \n escaped in the text.
//   ztai_injection_eval [file.tsv ...]   (default: the corpus under tests/bench/data)
// Prints the figures at the default threshold, then a threshold sweep to tune it with.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "agent/detect/injection/injection_detector.h"

namespace {

using ztai::detect::InjectionDetector;

struct Sample {
  bool injection;
  std::string text;
};

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
  }
  return out;
}

bool load(const std::string& path, std::vector<Sample>& out) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", path.c_str());
    return false;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.size() < 2 || (line[0] != '0' && line[0] != '1') || line[1] != '\t') {
      std::fprintf(stderr, "%s:%d: expected <0|1><tab><text>\n", path.c_str(), n);
      return false;
    }
    out.push_back(Sample{line[0] == '1', unescape(std::string_view(line).substr(2))});
  }
  return true;
}

struct Counts {
  int tp = 0, fp = 0, tn = 0, fn = 0;
  void print(const char* label) const {
    double p = tp + fp ? double(tp) / (tp + fp) : 0;
    double r = tp + fn ? double(tp) / (tp + fn) : 0;
    double f1 = p + r ? 2 * p * r / (p + r) : 0;
    std::printf("%-28s precision %.3f  recall %.3f  F1 %.3f  (tp %d fp %d tn %d fn %d)\n", label, p, r, f1, tp, fp, tn,
                fn);
  }
  void add(bool truth, bool flagged) {
    if (truth) {
      flagged ? ++tp : ++fn;
    } else {
      flagged ? ++fp : ++tn;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.emplace_back(argv[i]);
  if (files.empty()) {
    files = {ZTAI_SOURCE_DIR "/tests/bench/data/prompt_injections/train.tsv",
             ZTAI_SOURCE_DIR "/tests/bench/data/prompt_injections/test.tsv"};
  }
  auto detector = InjectionDetector::create();
  if (!detector) {
    std::fprintf(stderr, "%s\n", detector.error().message().c_str());
    return 1;
  }
  std::vector<std::vector<double>> scores(files.size());
  std::vector<std::vector<Sample>> sets(files.size());
  for (std::size_t f = 0; f < files.size(); ++f) {
    if (!load(files[f], sets[f])) return 1;
    for (const Sample& s : sets[f]) {
      auto verdict = detector->score(s.text);
      if (!verdict) {
        std::fprintf(stderr, "%s: %s\n", files[f].c_str(), verdict.error().message().c_str());
        return 1;
      }
      scores[f].push_back(verdict->score);
    }
  }
  std::printf("threshold %.2f (default)\n", detector->threshold());
  Counts all;
  for (std::size_t f = 0; f < files.size(); ++f) {
    Counts c;
    for (std::size_t i = 0; i < sets[f].size(); ++i) {
      c.add(sets[f][i].injection, scores[f][i] >= detector->threshold());
      all.add(sets[f][i].injection, scores[f][i] >= detector->threshold());
    }
    std::string name = files[f].substr(files[f].find_last_of('/') + 1);
    c.print(name.c_str());
  }
  if (files.size() > 1) all.print("all");
  std::printf("\nthreshold sweep (all files)\n");
  for (double t = 0.2; t < 0.951; t += 0.05) {
    Counts c;
    for (std::size_t f = 0; f < files.size(); ++f) {
      for (std::size_t i = 0; i < sets[f].size(); ++i) c.add(sets[f][i].injection, scores[f][i] >= t);
    }
    char label[32];
    std::snprintf(label, sizeof label, "  %.2f", t);
    c.print(label);
  }
  return 0;
}
