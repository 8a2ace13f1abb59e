#include "agent/detect/injection/injection_detector.h"

#include <hs/hs.h>

#include <algorithm>

#include "agent/detect/injection/encoded_text.h"
#include "agent/detect/injection/hidden_text.h"

namespace ztai::detect {
namespace {

constexpr std::size_t kSignalCount = static_cast<std::size_t>(InjectionSignal::kExfiltrationLink) + 1;

struct Phrase {
  InjectionSignal signal;
  const char* expression;
  unsigned flags = HS_FLAG_CASELESS;
};

// Words between the verb and its object: "ignore [all of] the previous instructions".
#define ZTAI_GAP "[^.!?\\n]{0,40}"

const std::vector<Phrase>& phrases() {
  static const std::vector<Phrase> table = {
      {InjectionSignal::kInstructionOverride,
       "\\b(?:ignore|disregard|forget|skip|override|bypass|abandon|neglect|drop|erase|remove|delete|leave)\\b" ZTAI_GAP
       "\\b(?:instructions?|prompts?|rules|orders|directions|directives|guidelines|tasks|assignments|context|"
       "information|commands|constraints|programming|everything)\\b"},
      {InjectionSignal::kInstructionOverride, "\\bforget\\s+(?:about\\s+)?(?:everything|all\\s+(?:that|this|of\\s+it))\\b"},
      {InjectionSignal::kInstructionOverride, "\\b(?:ignore|disregard)\\s+(?:the\\s+)?(?:above|previous|prior|preceding)\\b"},
      {InjectionSignal::kInstructionOverride, "\\bdo\\s+not\\s+(?:follow|obey)\\s+(?:your|the|any)\\b"},
      {InjectionSignal::kInstructionOverride,
       "\\b(?:all|any|the|your)\\s+(?:previous|prior|preceding|earlier|above|former|foregoing)\\s+"
       "(?:instructions?|tasks|information|orders|prompts|commands|rules|assignments|directions)\\b"},
      {InjectionSignal::kInstructionOverride,
       "\\b(?:change|update|replace|overwrite|reset)\\s+your\\s+(?:instructions|rules|prompt|programming|guidelines)\\b"},
      {InjectionSignal::kInstructionOverride, "\\byour\\s+(?:new\\s+)?instructions\\s+are\\s+now\\b"},
      {InjectionSignal::kInstructionOverride,
       "\\bdespite\\s+what\\s+you(?:'ve|\\s+have|\\s+were)?\\s+(?:been\\s+)?told\\b|"
       "\\bregardless\\s+of\\s+(?:your|any|the|previous|prior)\\s+(?:\\S+\\s+)?(?:instructions|rules|guidelines)\\b"},
      // Against retrieval: answer from anywhere but the documents the application supplied.
      {InjectionSignal::kInstructionOverride,
       "\\b(?:not\\s+(?:by|from|in)|disregard(?:ing)?|ignor(?:e|ing)|without\\s+(?:using|looking\\s+at))\\s+the\\s+"
       "(?:articles?|documents?(?:\\s+provided)?|context|sources?)\\b"},
      {InjectionSignal::kInstructionOverride,
       "\\bdo\\s+not\\s+(?:answer|look|respond|reply)\\b" ZTAI_GAP "\\b(?:but|just|instead|only)\\s+"
       "(?:output|say|print|write|reply|respond)\\b"},
      {InjectionSignal::kInstructionOverride,
       "\\b(?:vorherigen?|vorangegangenen?|vorangehenden?|bisherigen?|obigen?)\\s+"
       "(?:anweisungen|instruktionen|befehle|aufgaben|informationen|ausf\\S+)\\b"},
      // Other languages seen in attacks against German and English deployments: "forget all instructions".
      {InjectionSignal::kInstructionOverride,
       "(?:\\bolvid[ae]\\S*|\\boubli\\S*|\\bzaboravi\\S*|(?:\\xd0\\x97|\\xd0\\xb7)\\xd0\\xb0\\xd0\\xb1\\xd1\\x83\\xd0\\xb4\\S*)"
       "[^.!?\\n]{0,40}(?:instruc|instrukcij|\\xd0\\xb8\\xd0\\xbd\\xd1\\x81\\xd1\\x82\\xd1\\x80\\xd1\\x83\\xd0\\xba|todo\\s+que|tout)"},
      {InjectionSignal::kInstructionOverride,
       "\\b(?:ignoriere|ignorieren\\s+sie|vergiss|vergessen\\s+sie|missachte)\\b" ZTAI_GAP
       "\\b(?:anweisungen|befehle|aufgaben|auftr\\S*|informationen|regeln|alles|vorherigen?|bisherigen?)\\b"},
      {InjectionSignal::kTaskSwitch,
       "\\b(?:now|instead|next)\\b" ZTAI_GAP "\\b(?:new|another|different|following|further)\\s+"
       "(?:tasks?|instructions?|assignments?|challenges?)\\b"},
      {InjectionSignal::kTaskSwitch, "\\byour\\s+(?:new|real|actual|only)\\s+(?:task|goal|instructions?|job)\\b"},
      {InjectionSignal::kTaskSwitch, "\\b(?:additional|new|updated|further)\\s+instructions?\\s*[:\\-]"},
      {InjectionSignal::kTaskSwitch, "\\b(?:stop|stopp)\\s*[:\\-!]+\\s*(?:write|say|print|output|answer|ich|i)\\b"},
      {InjectionSignal::kTaskSwitch, "\\brepeat\\s+after\\s+me\\b|\\bjust\\s+(?:output|say|print|write)\\s*[\"']"},
      {InjectionSignal::kTaskSwitch,
       "\\b(?:neue|weitere|folgende)\\s+(?:aufgabe|aufgaben|anweisung|anweisungen|herausforderung)\\b"},
      {InjectionSignal::kPromptLeak,
       "\\b(?:reveal|show|print|output|display|repeat|tell|give|spell|list|leak|dump|what\\s+(?:is|are|was|were))\\b"
       ZTAI_GAP "\\b(?:your|the|initial|original|hidden|secret)\\s+(?:(?:initial|original|hidden|secret|full|entire|"
       "complete)\\s+)?(?:system\\s+)?(?:prompts?|instructions|prompt\\s+texts?)\\b"},
      {InjectionSignal::kPromptLeak,
       "\\b(?:written|said|stated)\\s+(?:above|at\\s+the\\s+(?:beginning|start)\\s+of\\s+(?:this|the|your)\\s+prompt)\\b|"
       "\\binformation\\s+in\\s+the\\s+prompt\\b"},
      {InjectionSignal::kPromptLeak,
       "\\b(?:zeige?|zeigen\\s+sie|gib|nenne|verrate)\\b" ZTAI_GAP "\\b(?:prompt\\S*|anweisungen|systemanweisung\\S*)"},
      {InjectionSignal::kRolePlay, "\\b(?:act|acting|behave)\\s+(?:now\\s+)?as\\s+(?:an?|the|my|if)\\b"},
      {InjectionSignal::kRolePlay, "\\b(?:you|now|please)\\s+act\\s+as\\b"},
      {InjectionSignal::kRolePlay, "\\bpretend\\s+(?:to\\s+be|you\\s+are|you're|that|you)\\b"},
      {InjectionSignal::kRolePlay, "\\b(?:you\\s+are\\s+now|now\\s+you\\s+are|you\\s+are\\s+no\\s+longer)\\b"},
      {InjectionSignal::kRolePlay, "\\brole[\\s\\-]?play|\\bstay\\s+in\\s+(?:character|your\\s+role)\\b"},
      {InjectionSignal::kRolePlay, "\\bimagine\\s+(?:you\\s+are|you're|that\\s+you|being)\\b"},
      {InjectionSignal::kRolePlay, "\\bfrom\\s+now\\s+on\\b"},
      {InjectionSignal::kRolePlay,
       "\\bi\\s+want\\s+you\\s+to\\s+(?:act|be|play|pretend|respond|reply|answer|only|become)\\b"},
      {InjectionSignal::kRolePlay, "\\byou\\s+(?:will|shall|must)\\s+(?:now\\s+)?(?:act|play|be\\s+an?|respond\\s+as)\\b"},
      {InjectionSignal::kRolePlay, "\\bals\\s+[^.!?\\n]{1,60}\\s+fungieren\\b"},
      {InjectionSignal::kRolePlay,
       "\\b(?:(?:jetzt|nun)\\s+bist\\s+du|du\\s+bist\\s+(?:jetzt|nun|ab\\s+sofort|keine?)|tu\\s+so\\s+als|stell\\s+dir\\s+vor|spiele?\\s+die\\s+rolle|"
       "ab\\s+jetzt|von\\s+nun\\s+an|agiere\\s+als|handle\\s+als)\\b"},
      // "DAN" only in capitals: "Dan" is a name.
      {InjectionSignal::kJailbreakMarker, "\\bDAN\\b", 0},
      {InjectionSignal::kJailbreakMarker, "\\bdo\\s+anything\\s+now\\b"},
      {InjectionSignal::kJailbreakMarker,
       "\\b(?:developer|dev|god|jailbreak|unrestricted|unfiltered|uncensored|evil|opposite|chaos)\\s+mode\\b"},
      {InjectionSignal::kJailbreakMarker, "\\bjailbr(?:eak|oken)\\b|\\bunfiltered\\b|\\buncensored\\b"},
      {InjectionSignal::kJailbreakMarker,
       "\\b(?:without|no|free\\s+(?:of|from))\\s+(?:any\\s+)?(?:restrictions|limitations|filters|censorship|ethics|"
       "morals|moral\\s+guidelines|ethical\\s+guidelines|boundaries)\\b"},
      {InjectionSignal::kJailbreakMarker,
       "\\b(?:ignore|bypass|disable|turn\\s+off)\\b" ZTAI_GAP
       "\\b(?:safety|ethical|content|moral)\\s+(?:guidelines|filters?|polic(?:y|ies)|rules|restrictions)\\b"},
      {InjectionSignal::kJailbreakMarker, "\\bevil\\s+(?:ai|bot|assistant|confidant)\\b|\\bpwned\\b"},
      // An image the client renders fetches its URL: data in the query leaves without a click.
      {InjectionSignal::kExfiltrationLink,
       "!\\[[^\\]\\n]{0,200}\\]\\(\\s*https?://[^\\s)]{1,512}[?&][A-Za-z0-9_\\-]{1,32}=(?:[^\\s)&]{16,}|"
       "[^\\s)&]*(?:\\{|%7[Bb]|\\$\\())"},
      {InjectionSignal::kExfiltrationLink,
       "<img\\b[^>]{0,200}\\bsrc\\s*=\\s*[\"']?https?://[^\\s\"'>]{1,512}[?&][A-Za-z0-9_\\-]{1,32}=(?:[^\\s\"'>&]{16,}|"
       "[^\\s\"'>&]*(?:\\{|%7[Bb]|\\$\\())"},
  };
  return table;
}
#undef ZTAI_GAP

constexpr double kWeights[kSignalCount] = {
    0.6,   // instruction_override
    0.3,   // task_switch
    0.5,   // prompt_leak
    0.35,  // role_play
    0.6,   // jailbreak_marker
    0.25,  // zero_width
    0.7,   // tag_characters
    0.25,  // bidi_override
    0.9,   // hidden_instruction
    0.8,   // encoded_instruction
    0.7,   // exfiltration_link
};

// Which phrase signals count as instructions when found inside hidden or encoded text.
bool is_instruction(InjectionSignal s) {
  return s == InjectionSignal::kInstructionOverride || s == InjectionSignal::kTaskSwitch ||
         s == InjectionSignal::kPromptLeak || s == InjectionSignal::kRolePlay || s == InjectionSignal::kJailbreakMarker ||
         s == InjectionSignal::kExfiltrationLink;
}

bool any_instruction(const std::vector<bool>& found) {
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (found[i] && is_instruction(static_cast<InjectionSignal>(i))) return true;
  }
  return false;
}

// Subdivision flags (England, Scotland, Wales) are a black flag followed by tag letters such as
// "gbeng": short lowercase tag runs are emoji, not text.
bool emoji_flag_tags(const HiddenText& hidden) {
  return hidden.tag_text.size() <= 7 && std::all_of(hidden.tag_text.begin(), hidden.tag_text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

}  // namespace

std::string_view injection_signal_name(InjectionSignal signal) {
  switch (signal) {
    case InjectionSignal::kInstructionOverride: return "instruction_override";
    case InjectionSignal::kTaskSwitch: return "task_switch";
    case InjectionSignal::kPromptLeak: return "prompt_leak";
    case InjectionSignal::kRolePlay: return "role_play";
    case InjectionSignal::kJailbreakMarker: return "jailbreak_marker";
    case InjectionSignal::kZeroWidth: return "zero_width";
    case InjectionSignal::kTagCharacters: return "tag_characters";
    case InjectionSignal::kBidiOverride: return "bidi_override";
    case InjectionSignal::kHiddenInstruction: return "hidden_instruction";
    case InjectionSignal::kEncodedInstruction: return "encoded_instruction";
    case InjectionSignal::kExfiltrationLink: return "exfiltration_link";
  }
  return "unknown";
}

double injection_signal_weight(InjectionSignal signal) { return kWeights[static_cast<std::size_t>(signal)]; }

Result<InjectionDetector> InjectionDetector::create(double threshold) {
  if (!(threshold > 0 && threshold <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, "injection threshold {} is not in (0, 1]", threshold);
  }
  std::vector<PatternSpec> specs;
  for (const Phrase& p : phrases()) specs.push_back(PatternSpec{p.expression, p.flags});
  auto db = PatternDatabase::compile(specs);
  if (!db) return db.error().context("prompt-injection phrases");
  auto scanner = PatternScanner::create(std::move(*db));
  if (!scanner) return scanner.error().context("prompt-injection phrases");
  return InjectionDetector(std::move(*scanner), threshold);
}

Status InjectionDetector::phrase_signals(std::string_view text, std::vector<bool>& found) const {
  const auto& table = phrases();
  return phrases_.scan(text, [&](const PatternMatch& m) { found[static_cast<std::size_t>(table[m.id].signal)] = true; });
}

Result<InjectionVerdict> InjectionDetector::score(std::string_view text) const {
  std::vector<bool> found(kSignalCount, false);
  auto set = [&](InjectionSignal s) { found[static_cast<std::size_t>(s)] = true; };

  HiddenText hidden = find_hidden_text(text);
  Status st = phrase_signals(hidden.any() ? std::string_view(hidden.visible) : text, found);
  if (!st) return st.error();
  if (hidden.any()) {
    if (hidden.zero_width > 0) set(InjectionSignal::kZeroWidth);
    if (hidden.bidi > 0) set(InjectionSignal::kBidiOverride);
    if (hidden.tags > 0 && !emoji_flag_tags(hidden)) set(InjectionSignal::kTagCharacters);
    // An instruction that only reads once the invisible characters are gone was hidden on purpose.
    std::vector<bool> plain(kSignalCount, false);
    if (Status s = phrase_signals(text, plain); !s) return s.error();
    std::vector<bool> in_tags(kSignalCount, false);
    if (!hidden.tag_text.empty()) {
      if (Status s = phrase_signals(hidden.tag_text, in_tags); !s) return s.error();
    }
    bool only_without_invisibles = false;
    for (std::size_t i = 0; i < kSignalCount; ++i) {
      if (found[i] && !plain[i] && is_instruction(static_cast<InjectionSignal>(i))) only_without_invisibles = true;
    }
    if (only_without_invisibles || any_instruction(in_tags)) set(InjectionSignal::kHiddenInstruction);
  }
  for (const std::string& decoded : decode_embedded_text(text)) {
    std::vector<bool> inner(kSignalCount, false);
    if (Status s = phrase_signals(decoded, inner); !s) return s.error();
    if (any_instruction(inner)) {
      set(InjectionSignal::kEncodedInstruction);
      break;
    }
  }

  InjectionVerdict verdict;
  double keep = 1;
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    if (!found[i]) continue;
    verdict.signals.push_back(static_cast<InjectionSignal>(i));
    keep *= 1 - kWeights[i];
  }
  verdict.score = 1 - keep;
  verdict.flagged = verdict.score >= threshold_;
  return verdict;
}

}  // namespace ztai::detect
