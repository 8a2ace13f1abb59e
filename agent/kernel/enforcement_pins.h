// Network enforcement that outlives the agent (enforcement.persist): its maps and the links
// attaching its programs are pinned in a bpf filesystem under <root>/policy-v<layout version>
// (ZTAI_POLICY_ABI_VERSION), so the kernel keeps enforcing while the agent restarts or after it
// crashed. A starting agent adopts the directory of its own layout version (reuses the maps,
// replaces each pinned link by its own) and removes every other version's directory once its own
// programs enforce, so there is never a moment without a program attached. Without persist nothing
// is pinned, and whatever an earlier agent pinned under the root is removed once this one enforces.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"

namespace ztai {

struct PinSettings {
  bool persist = false;
  std::string root;  // a directory in a bpf filesystem (created when missing)
};

// "policy-v<version>": the directory one layout version pins under.
std::string policy_pin_dir_name(uint32_t version);
// The layout version of a directory an agent pinned under ("policy-v3", or "policy-v3-retired-42"
// for one set aside); nullopt for any other name, which is left alone.
std::optional<uint32_t> policy_pin_dir_version(std::string_view name);

struct PinPlan {
  bool adopt = false;              // the directory of this version is reused
  std::vector<std::string> stale;  // directory names removed once this agent enforces
};
// What to do with the entries of the pin root; pure.
PinPlan plan_pins(const std::vector<std::string>& entries, uint32_t version, bool persist);

class EnforcementPins {
 public:
  // Reads what earlier agents left under the root and, with persist, creates this version's
  // directory. Fails when the root is not in a bpf filesystem.
  static Result<std::unique_ptr<EnforcementPins>> open(const PinSettings& settings, uint32_t version);

  bool persist() const { return settings_.persist; }
  bool adopting() const { return adopt_; }
  const std::string& dir() const { return dir_; }
  // Where a persistent map is pinned.
  std::string map_path(std::string_view name) const;
  // The adopted directory cannot be reused (its maps differ from this build's though the version
  // is the same): it is renamed, removed with the stale ones, and a fresh directory is used.
  Status retire(std::string_view why);
  // Pins a link as links/<name> (no dots: bpffs refuses them). A link an earlier agent pinned under that name is replaced in
  // one rename, which detaches its program: this agent's program is attached before that.
  Status pin_link(int link_fd, std::string_view name);
  // Once this agent enforces its policies: removes the adopted directory's links it did not pin
  // again and the stale directories, detaching their programs. Logs each removal.
  Status finish();

 private:
  EnforcementPins(PinSettings settings, std::string dir) : settings_(std::move(settings)), dir_(std::move(dir)) {}

  PinSettings settings_;
  std::string dir_;
  bool adopt_ = false;
  std::vector<std::string> stale_;
  std::set<std::string> pinned_links_;
};

}  // namespace ztai
