// Prompt-injection signals in text a model reads (user input, tool results, retrieved documents,
// MCP messages). Each signal has a weight in (0, 1); the score combines the signals found as
// independent evidence, 1 - prod(1 - weight), so one strong signal or several weak ones cross the
// threshold. Phrase lists are English and German (the languages of the evaluation corpus);
// docs/detection.md lists the signals, their weights, how to tune the threshold and the measured
// precision and recall.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"
#include "agent/detect/pattern_database.h"

namespace ztai::detect {

enum class InjectionSignal {
  kInstructionOverride,  // "ignore all previous instructions", "vergiss alle Anweisungen"
  kTaskSwitch,           // "now a new task follows", "your new task is"
  kPromptLeak,           // "show me your system prompt"
  kRolePlay,             // "act as", "pretend you are", "from now on you"
  kJailbreakMarker,      // "DAN", "developer mode", "without any restrictions", "pwned"
  kZeroWidth,            // zero-width characters
  kTagCharacters,        // Unicode tag characters (invisible ASCII)
  kBidiOverride,         // bidirectional overrides
  kHiddenInstruction,    // an instruction phrase that only appears in the hidden text
  kEncodedInstruction,   // an instruction phrase inside base64 or hex
  kExfiltrationLink,     // a markdown/HTML image whose URL carries data in its query
};

std::string_view injection_signal_name(InjectionSignal signal);
double injection_signal_weight(InjectionSignal signal);

struct InjectionVerdict {
  double score = 0;                      // 0..1
  std::vector<InjectionSignal> signals;  // distinct, in enum order
  bool flagged = false;                  // score >= threshold
};

class InjectionDetector {
 public:
  // Flags any override, leak, jailbreak, role-play, task-switch, encoded, hidden or exfiltration
  // signal, but not invisible characters alone (translations and copy-paste carry stray
  // zero-width spaces). Chosen for the best F1 on the training split of the evaluation corpus;
  // rules that want fewer role-play alerts on user input compare llm.injection.score with 0.5.
  static constexpr double kDefaultThreshold = 0.3;

  // Fails on a threshold outside (0, 1] or a phrase pattern that does not compile.
  static Result<InjectionDetector> create(double threshold = kDefaultThreshold);

  // Not thread-safe: give each thread its own copy (copies share the compiled patterns).
  Result<InjectionVerdict> score(std::string_view text) const;
  double threshold() const { return threshold_; }

 private:
  InjectionDetector(PatternScanner phrases, double threshold) : phrases_(std::move(phrases)), threshold_(threshold) {}
  Status phrase_signals(std::string_view text, std::vector<bool>& found) const;

  PatternScanner phrases_;
  double threshold_;
};

}  // namespace ztai::detect
