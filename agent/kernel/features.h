// What this kernel lets the agent do, probed at start-up by loading tiny programs rather than
// guessed from the version: a feature can be compiled in yet forbidden (lockdown, EPERM).
#pragma once

#include <string>
#include <vector>

namespace ztai {

struct Feature {
  std::string name;    // "tp_btf", "fentry", "lsm", ...
  bool available = false;
  std::string detail;  // why not, in one sentence, when unavailable
};

struct KernelFeatures {
  std::vector<Feature> features;

  bool has(std::string_view name) const;
  const Feature* find(std::string_view name) const;
};

// Needs CAP_BPF (or root); without it every program probe reports the missing capability.
KernelFeatures probe_kernel_features();

}  // namespace ztai
