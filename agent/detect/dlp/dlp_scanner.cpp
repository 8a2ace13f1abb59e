#include "agent/detect/dlp/dlp_scanner.h"

#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "agent/detect/dlp/dlp_validators.h"

namespace ztai::detect {
namespace {

constexpr std::string_view kTokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
constexpr std::string_view kBase64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

// How the secret sits in the match: the whole match, or the value after a key name and `:`/`=`
// ("aws_secret_access_key = ...", "AccountKey=..."), which is what the finding then covers.
enum class Span { kWhole, kAfterAssignment };

// Whether a value that passed its pattern really is one of its kind.
using Validator = bool (*)(std::string_view value);

bool high_entropy_value(std::string_view value) {
  // Random keys of 16+ characters over [A-Za-z0-9] carry ~4 bits per character; identifiers and
  // words ("my_super_long_password_name") stay well under 3.5.
  bool digit = false, alpha = false;
  for (char c : value) {
    if (c >= '0' && c <= '9') digit = true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) alpha = true;
  }
  return digit && alpha && shannon_entropy(value) >= 3.5;
}

bool openai_key(std::string_view value) {
  // sk-ant- is Anthropic's, reported under its own kind by its own pattern.
  return value.substr(0, 7) != "sk-ant-" && high_entropy_value(value.substr(3));
}

bool random_token(std::string_view value) { return shannon_entropy(value) >= 3.0; }

// What a kind looks like exactly. Exact patterns run (with RE2, leftmost-longest) only in the
// windows around trigger hits, so they may be as precise as needed without slowing the pass.
struct ExactPattern {
  DlpKind kind;
  const char* expression;
  Span span;
  Validator validate;  // nullptr: the pattern is specific enough on its own
  // Characters that may not follow the match: a fixed-length token followed by more token
  // characters is some other, longer string.
  std::string_view no_follow;
};

// What the one Vectorscan pass looks for: cheap patterns, plain literals wherever the kind has a
// fixed prefix (a character class after the literal costs the whole pass ~40% here). A hit opens
// a window [end - before, end + after] in which its exact patterns run, or anchors them at a known
// start. Several kinds share a trigger where their texts look alike (all the digit kinds).
enum class Anchor {
  kWindow,     // anywhere in [end - before, end + after]
  kHitStart,   // exactly `before` bytes before the hit's end (the hit is a fixed-length prefix)
  kLocalPart,  // an e-mail: the hit is "@x"; the match starts where the local part before it does
};

struct Trigger {
  const char* expression;
  unsigned flags;
  std::size_t before;
  std::size_t after;
  std::vector<ExactPattern> exact;
  // A hit opens a window only if an assignment follows: key names are common words ("token",
  // "secret") and only "name = value" or "name": value can carry a secret.
  bool needs_assignment = false;
  // A hit opens a window only if four digits in a row end within the hit's last 24 bytes: every
  // digit kind has such a group (card groups, the SSN serial, a phone line number), IP addresses
  // and version numbers, the commonest long digit runs in logs, do not.
  bool needs_four_digits = false;
  // Where the exact patterns start, when the hit tells: then they run anchored there, which
  // reads only the token instead of a whole window.
  Anchor anchor = Anchor::kWindow;
};

bool is_local_part_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

bool four_digits_before(std::string_view text, std::size_t end) {
  std::size_t run = 0;
  for (std::size_t i = end > 24 ? end - 24 : 0; i < end; ++i) {
    run = std::isdigit(static_cast<unsigned char>(text[i])) ? run + 1 : 0;
    if (run == 4) return true;
  }
  return false;
}

// The start of what the generic pattern accepts after a key name: more name characters, a
// closing quote, blanks, then ':' or '='.
bool assignment_follows(std::string_view text, std::size_t i) {
  std::size_t n = 0;
  while (i < text.size() && n < 32 && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' ||
                                       text[i] == '-')) {
    ++i;
    ++n;
  }
  if (i < text.size() && (text[i] == '"' || text[i] == '\'')) ++i;
  for (n = 0; i < text.size() && n < 8 && std::isspace(static_cast<unsigned char>(text[i])); ++n) ++i;
  return i < text.size() && (text[i] == ':' || text[i] == '=');
}

const std::vector<Trigger>& triggers() {
  static const std::vector<Trigger> table = {
      {"(?:AKIA|ASIA)", 0, 4, 17,
       {{DlpKind::kAwsAccessKeyId, R"(\b(?:AKIA|ASIA)[A-Z2-7]{16}\b)", Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"\"private_key_id\"", 0, 16, 64,
       {{DlpKind::kGcpServiceAccountKey, R"("private_key_id"\s{0,8}:\s{0,8}"[0-9a-f]{40}")", Span::kAfterAssignment,
         nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"AIza", 0, 4, 36,
       {{DlpKind::kGcpApiKey, R"(\bAIza[0-9A-Za-z_\-]{35})", Span::kWhole, nullptr, kTokenChars}},
       false, false, Anchor::kHitStart},
      {"AccountKey=", 0, 11, 90,
       {{DlpKind::kAzureStorageKey, R"(AccountKey=[A-Za-z0-9+/]{86}==)", Span::kAfterAssignment, nullptr,
         kBase64Chars}},
       false, false, Anchor::kHitStart},
      {"gh[pousr]_", 0, 4, 37,
       {{DlpKind::kGithubToken, R"(\bgh[pousr]_[A-Za-z0-9]{36}\b)", Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"github_pat_", 0, 11, 83,
       {{DlpKind::kGithubToken, R"(\bgithub_pat_[A-Za-z0-9_]{82}\b)", Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"glpat-", 0, 6, 21,
       {{DlpKind::kGitlabToken, R"(\bglpat-[A-Za-z0-9_\-]{20})", Span::kWhole, nullptr, kTokenChars}},
       false, false, Anchor::kHitStart},
      {"xox[abposr]-", 0, 5, 256,
       {{DlpKind::kSlackToken, R"(\bxox[abposr]-[A-Za-z0-9\-]{10,250})", Span::kWhole, random_token, {}}},
       false, false, Anchor::kHitStart},
      {"[rs]k_live_", 0, 8, 256,
       {{DlpKind::kStripeKey, R"(\b[rs]k_live_[A-Za-z0-9]{24,247}\b)", Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"sk-[A-Za-z0-9_\\-]{8}", 0, 11, 512,
       {{DlpKind::kOpenaiKey, R"(\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,500})", Span::kWhole, openai_key,
         {}},
        {DlpKind::kAnthropicKey, R"(\bsk-ant-[a-z]{3,8}\d{2}-[A-Za-z0-9_\-]{32,500})", Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"hf_", 0, 3, 41,
       {{DlpKind::kHuggingfaceToken, R"(\bhf_[A-Za-z0-9]{30,40}\b)", Span::kWhole, random_token, {}}},
       false, false, Anchor::kHitStart},
      {"-----BEGIN ", 0, 11, 48,
       {{DlpKind::kPrivateKey, R"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)",
         Span::kWhole, nullptr, {}}},
       false, false, Anchor::kHitStart},
      {"\\.eyJ", 0, 2048, 8192,
       {{DlpKind::kJwt, R"(\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,})",
         Span::kWhole, jwt_valid, {}}}},
      // Key names in the spellings code and config use (Vectorscan is much slower matching literals
      // case-insensitively); the exact patterns are case-insensitive.
      {"(?:api_?key|API_?KEY|apiKey|ApiKey|secret|SECRET|Secret|token|TOKEN|Token|passw|PASSW|Passw|pwd|PWD|"
       "access_?key|ACCESS_?KEY|accessKey|auth_?key|AUTH_?KEY)",
       0, 80, 320,
       {{DlpKind::kAwsSecretAccessKey,
         R"((?i)(?:aws_?secret(?:_?access)?_?key|secret_?access_?key)["']?\s{0,8}[:=]\s{0,8}["']?[A-Za-z0-9/+]{40})",
         Span::kAfterAssignment, high_entropy_value, kBase64Chars},
        {DlpKind::kGenericSecret,
         R"((?i)[A-Za-z0-9_\-]{0,64}(?:api[_\-]?key|secret|token|passw(?:or)?d|pwd|access[_\-]?key|auth[_\-]?key|private[_\-]?key)[A-Za-z0-9_\-]{0,32}["']?\s{0,8}[:=]\s{0,8}["']?[A-Za-z0-9/+_\-.=~]{16,256})",
         Span::kAfterAssignment, high_entropy_value, {}}},
       true},
      {"@[A-Za-z0-9]", 0, 66, 300,
       {{DlpKind::kEmail, R"([A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}\b)",
         Span::kWhole, nullptr, {}}},
       false, false, Anchor::kLocalPart},
      {"\\+[1-9][0-9 .\\-(]", 0, 3, 32,
       {{DlpKind::kPhone, R"(\+[1-9]\d{0,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){1,4}\b)",
         Span::kWhole, phone_valid, {}}},
       false, false, Anchor::kHitStart},
      // Nine digits, perhaps grouped: the shortest of an SSN, a US phone number and a card.
      {"\\d(?:[ .\\-()]{0,2}\\d){8}", 0, 24, 24,
       {{DlpKind::kPhone, R"((?:\(|\b)[2-9]\d{2}\)?[ .\-]?\d{3}[ .\-]\d{4}\b)", Span::kWhole, phone_valid, {}},
        {DlpKind::kPaymentCard, R"(\b\d{13,19}\b)", Span::kWhole, payment_card_valid, {}},
        {DlpKind::kPaymentCard, R"(\b\d{4}[ \-]\d{4}[ \-]\d{4}[ \-]\d{4}\b)", Span::kWhole, payment_card_valid, {}},
        {DlpKind::kPaymentCard, R"(\b3[47]\d{2}[ \-]\d{6}[ \-]\d{5}\b)", Span::kWhole, payment_card_valid, {}},
        {DlpKind::kUsSsn, R"(\b\d{3}-\d{2}-\d{4}\b)", Span::kWhole, us_ssn_valid, {}}},
       false, true},
      {"[A-Z]{2}\\d{2} ?[A-Z0-9]{4}", 0, 9, 36,
       {{DlpKind::kIban, R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b)", Span::kWhole, iban_valid,
         {}}}},
  };
  return table;
}

// Which finding wins where two overlap: a named secret over personal data over a generic
// assignment, and among personal data the ones with a checksum first.
int priority(DlpKind kind) {
  switch (kind) {
    case DlpKind::kGenericSecret:
      return 4;
    case DlpKind::kPhone:
      return 3;
    case DlpKind::kEmail:
      return 2;
    case DlpKind::kPaymentCard:
    case DlpKind::kIban:
    case DlpKind::kUsSsn:
      return 1;
    default:
      return 0;
  }
}

std::size_t value_offset(std::string_view match) {
  std::size_t i = match.find_first_of(":=");
  if (i == std::string_view::npos) return 0;
  ++i;
  while (i < match.size() && (match[i] == ' ' || match[i] == '\t' || match[i] == '"' || match[i] == '\'')) ++i;
  return i;
}

// A private key finding covers the whole armoured block when its end line is there.
std::size_t pem_block_end(std::string_view text, std::size_t header_end) {
  std::size_t end = text.find("-----END ", header_end);
  if (end == std::string_view::npos) return header_end;
  std::size_t close = text.find("-----", end + 9);
  return close == std::string_view::npos ? header_end : close + 5;
}

std::size_t public_prefix(DlpKind kind, std::string_view value) {
  switch (kind) {
    case DlpKind::kAwsAccessKeyId:
    case DlpKind::kGcpApiKey:
      return 4;
    case DlpKind::kGithubToken:
      return value.substr(0, 11) == "github_pat_" ? 11 : 4;
    case DlpKind::kGitlabToken:
      return 6;
    case DlpKind::kSlackToken:
      return 5;
    case DlpKind::kStripeKey:
      return 8;
    case DlpKind::kOpenaiKey:
      return value.substr(0, 8) == "sk-proj-" ? 8 : 3;
    case DlpKind::kAnthropicKey:
      return 7;
    case DlpKind::kHuggingfaceToken:
    case DlpKind::kJwt:
      return 3;
    default:
      return 0;
  }
}

}  // namespace

std::string_view dlp_kind_name(DlpKind kind) {
  switch (kind) {
    case DlpKind::kAwsAccessKeyId: return "aws_access_key_id";
    case DlpKind::kAwsSecretAccessKey: return "aws_secret_access_key";
    case DlpKind::kGcpServiceAccountKey: return "gcp_service_account_key";
    case DlpKind::kGcpApiKey: return "gcp_api_key";
    case DlpKind::kAzureStorageKey: return "azure_storage_key";
    case DlpKind::kGithubToken: return "github_token";
    case DlpKind::kGitlabToken: return "gitlab_token";
    case DlpKind::kSlackToken: return "slack_token";
    case DlpKind::kStripeKey: return "stripe_key";
    case DlpKind::kOpenaiKey: return "openai_key";
    case DlpKind::kAnthropicKey: return "anthropic_key";
    case DlpKind::kHuggingfaceToken: return "huggingface_token";
    case DlpKind::kPrivateKey: return "private_key";
    case DlpKind::kJwt: return "jwt";
    case DlpKind::kGenericSecret: return "generic_secret";
    case DlpKind::kEmail: return "email";
    case DlpKind::kPhone: return "phone";
    case DlpKind::kPaymentCard: return "payment_card";
    case DlpKind::kIban: return "iban";
    case DlpKind::kUsSsn: return "us_ssn";
  }
  return "unknown";
}

bool dlp_kind_is_secret(DlpKind kind) {
  return kind != DlpKind::kEmail && kind != DlpKind::kPhone && kind != DlpKind::kPaymentCard &&
         kind != DlpKind::kIban && kind != DlpKind::kUsSsn;
}

const std::vector<DlpKind>& all_dlp_kinds() {
  static const std::vector<DlpKind> kinds = [] {
    std::vector<DlpKind> out;
    for (int k = 0; k <= static_cast<int>(DlpKind::kUsSsn); ++k) out.push_back(static_cast<DlpKind>(k));
    return out;
  }();
  return kinds;
}

std::string redact(DlpKind kind, std::string_view value) {
  if (kind == DlpKind::kEmail) {
    // The domain says whose address it is (a company's, a webmail's) without naming the person.
    std::size_t at = value.rfind('@');
    return fmt::format("****{}", at == std::string_view::npos ? std::string_view() : value.substr(at));
  }
  if (kind == DlpKind::kPrivateKey) {
    // The armour line names the key type and is the same in every key of that type.
    return fmt::format("{}({} bytes)", value.substr(0, value.find("-----", 5) + 5), value.size());
  }
  // Never more than a quarter of the value, whatever the prefix rule says.
  std::size_t prefix = std::min(public_prefix(kind, value), value.size() / 4);
  return fmt::format("{}****({})", value.substr(0, prefix), value.size());
}

struct DlpScanner::ExactSet {
  struct PerTrigger {
    // Finds candidate spans in a window: the trigger's one exact pattern, or the alternation of
    // all of them, so a window costs one search whatever the number of kinds behind the trigger.
    std::unique_ptr<re2::RE2> any;
    // With several exact patterns: each, to tell which kinds a span is (checked on spans only).
    std::vector<std::unique_ptr<re2::RE2>> each;
  };
  std::vector<PerTrigger> by_trigger;  // indexed like triggers()
};

Result<DlpScanner> DlpScanner::create() {
  std::vector<PatternSpec> specs;
  auto exact = std::make_shared<ExactSet>();
  re2::RE2::Options options;
  options.set_longest_match(true);
  options.set_log_errors(false);
  auto compile = [&](const std::string& expression) -> Result<std::unique_ptr<re2::RE2>> {
    auto re = std::make_unique<re2::RE2>(expression, options);
    if (!re->ok()) return make_error(ErrorCode::kInternal, "DLP pattern /{}/: {}", expression, re->error());
    return re;
  };
  for (const Trigger& t : triggers()) {
    specs.push_back(PatternSpec{t.expression, t.flags});
    ExactSet::PerTrigger& compiled = exact->by_trigger.emplace_back();
    std::string any;
    for (const ExactPattern& p : t.exact) {
      any += fmt::format("{}(?:{})", any.empty() ? "" : "|", p.expression);
      if (t.exact.size() > 1) {
        auto re = compile(p.expression);
        if (!re) return re.error();
        compiled.each.push_back(std::move(*re));
      }
    }
    auto re = compile(any);
    if (!re) return re.error();
    compiled.any = std::move(*re);
  }
  auto db = PatternDatabase::compile(specs);
  if (!db) return db.error().context("DLP triggers");
  auto scanner = PatternScanner::create(std::move(*db));
  if (!scanner) return scanner.error().context("DLP triggers");
  return DlpScanner(std::move(*scanner), std::move(exact));
}

DlpScanner::DlpScanner(PatternScanner triggers, std::shared_ptr<const ExactSet> exact)
    : triggers_(std::move(triggers)), exact_(std::move(exact)) {}
DlpScanner::DlpScanner(const DlpScanner&) = default;
DlpScanner::DlpScanner(DlpScanner&&) noexcept = default;
DlpScanner::~DlpScanner() = default;

Result<std::vector<DlpFinding>> DlpScanner::scan(std::string_view text) const {
  const auto& table = triggers();
  // Windows to search per trigger, merged as hits arrive (in order of end offset).
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> windows(table.size());
  // Or, for anchored triggers, where the exact patterns start.
  std::vector<std::vector<std::size_t>> starts(table.size());
  Status scanned = triggers_.scan(text, [&](const PatternMatch& m) {
    const Trigger& t = table[m.id];
    if (t.needs_assignment && !assignment_follows(text, m.end)) return;
    if (t.needs_four_digits && !four_digits_before(text, m.end)) return;
    if (t.anchor != Anchor::kWindow) {
      std::size_t start = m.end >= t.before ? m.end - t.before : 0;
      if (t.anchor == Anchor::kLocalPart) {
        start = m.end - 2;  // the '@'
        while (start > 0 && m.end - 2 - start < 64 && is_local_part_char(text[start - 1])) --start;
      }
      auto& list = starts[m.id];
      if (list.empty() || list.back() != start) list.push_back(start);
      return;
    }
    std::size_t from = m.end > t.before ? m.end - t.before : 0;
    std::size_t to = std::min(text.size(), m.end + t.after);
    auto& list = windows[m.id];
    if (!list.empty() && from <= list.back().second) {
      list.back().second = std::max(list.back().second, to);
    } else {
      list.emplace_back(from, to);
    }
  });
  if (!scanned) return scanned.error();

  std::vector<DlpFinding> candidates;
  const re2::StringPiece whole(text.data(), text.size());
  auto consider = [&](const ExactPattern& p, std::size_t start, std::size_t end) {
    if (!p.no_follow.empty() && end < text.size() && p.no_follow.find(text[end]) != std::string_view::npos) return;
    std::size_t offset = start;
    if (p.span == Span::kAfterAssignment) {
      offset += value_offset(text.substr(start, end - start));
      while (end > offset && (text[end - 1] == '"' || text[end - 1] == '\'')) --end;
    }
    std::string_view value = text.substr(offset, end - offset);
    if (value.empty() || (p.validate != nullptr && !p.validate(value))) return;
    if (p.kind == DlpKind::kPrivateKey) end = pem_block_end(text, end);
    candidates.push_back(DlpFinding{p.kind, offset, end - offset, {}});
  };
  // A span the trigger's patterns matched: which kinds it is, when the trigger has several.
  auto on_span = [&](std::size_t t, const re2::StringPiece& match) {
    std::size_t start = static_cast<std::size_t>(match.data() - text.data());
    const ExactSet::PerTrigger& compiled = exact_->by_trigger[t];
    if (compiled.each.empty()) {
      consider(table[t].exact[0], start, start + match.size());
      return;
    }
    for (std::size_t e = 0; e < compiled.each.size(); ++e) {
      if (re2::RE2::FullMatch(match, *compiled.each[e])) consider(table[t].exact[e], start, start + match.size());
    }
  };
  for (std::size_t t = 0; t < table.size(); ++t) {
    const re2::RE2& any = *exact_->by_trigger[t].any;
    re2::StringPiece match;
    for (std::size_t start : starts[t]) {
      std::size_t to = std::min(text.size(), start + table[t].before + table[t].after);
      if (any.Match(whole, start, to, re2::RE2::ANCHOR_START, &match, 1)) on_span(t, match);
    }
    for (auto [from, to] : windows[t]) {
      std::size_t pos = from;
      // The whole text is the context, so \b at a window edge sees the real neighbours.
      while (pos < to && any.Match(whole, pos, to, re2::RE2::UNANCHORED, &match, 1)) {
        std::size_t start = static_cast<std::size_t>(match.data() - text.data());
        pos = match.size() > 0 ? start + match.size() : start + 1;
        on_span(t, match);
      }
    }
  }

  // Overlaps: within each run of overlapping candidates the highest priority wins, then the longest.
  std::sort(candidates.begin(), candidates.end(),
            [](const DlpFinding& a, const DlpFinding& b) { return a.offset < b.offset; });
  std::vector<DlpFinding> findings;
  for (std::size_t i = 0; i < candidates.size();) {
    std::size_t cluster_end = i + 1;
    std::size_t reach = candidates[i].offset + candidates[i].length;
    while (cluster_end < candidates.size() && candidates[cluster_end].offset < reach) {
      reach = std::max(reach, candidates[cluster_end].offset + candidates[cluster_end].length);
      ++cluster_end;
    }
    std::vector<DlpFinding> cluster(candidates.begin() + i, candidates.begin() + cluster_end);
    std::stable_sort(cluster.begin(), cluster.end(), [](const DlpFinding& a, const DlpFinding& b) {
      if (priority(a.kind) != priority(b.kind)) return priority(a.kind) < priority(b.kind);
      return a.length > b.length;
    });
    std::size_t first_kept = findings.size();
    for (DlpFinding& f : cluster) {
      bool overlaps = std::any_of(findings.begin() + first_kept, findings.end(), [&](const DlpFinding& k) {
        return f.offset < k.offset + k.length && k.offset < f.offset + f.length;
      });
      if (!overlaps) findings.push_back(std::move(f));
    }
    std::sort(findings.begin() + first_kept, findings.end(),
              [](const DlpFinding& a, const DlpFinding& b) { return a.offset < b.offset; });
    i = cluster_end;
  }
  for (DlpFinding& f : findings) f.preview = redact(f.kind, text.substr(f.offset, f.length));
  return findings;
}

}  // namespace ztai::detect
