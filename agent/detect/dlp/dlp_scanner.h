// Data loss prevention: finds secrets and personal data in text (LLM prompts, tool arguments and
// results, MCP messages). One Vectorscan database holds a trigger per kind, so a text is read once;
// exact patterns, checksums and validity rules run only in small windows around trigger hits. A finding carries a redacted
// preview, never the matched value, so nothing downstream (alerts, logs, exporters) can leak it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/result.h"
#include "agent/detect/pattern_database.h"

namespace re2 {
class RE2;
}

namespace ztai::detect {

enum class DlpKind {
  kAwsAccessKeyId,
  kAwsSecretAccessKey,
  kGcpServiceAccountKey,
  kGcpApiKey,
  kAzureStorageKey,
  kGithubToken,
  kGitlabToken,
  kSlackToken,
  kStripeKey,
  kOpenaiKey,
  kAnthropicKey,
  kHuggingfaceToken,
  kPrivateKey,
  kJwt,
  kGenericSecret,
  kEmail,
  kPhone,
  kPaymentCard,
  kIban,
  kUsSsn,
};

// "aws_access_key_id", "email"...: the names rules compare dlp.kinds with.
std::string_view dlp_kind_name(DlpKind kind);
bool dlp_kind_is_secret(DlpKind kind);
// Every kind, in enum order (for docs and `ztai fields`).
const std::vector<DlpKind>& all_dlp_kinds();

struct DlpFinding {
  DlpKind kind;
  std::size_t offset;  // byte offset of the match in the scanned text
  std::size_t length;
  std::string preview;  // e.g. "ghp_****(40)": a public prefix and the length, never the secret
};

class DlpScanner {
 public:
  // Compiles the built-in patterns; fails only if a pattern does not compile (start-up error).
  static Result<DlpScanner> create();
  DlpScanner(const DlpScanner& other);
  DlpScanner(DlpScanner&& other) noexcept;
  DlpScanner& operator=(const DlpScanner&) = delete;
  DlpScanner& operator=(DlpScanner&&) = delete;
  ~DlpScanner();

  // Findings in order of offset; where findings overlap, a named secret hides personal data and a
  // generic key assignment. Not thread-safe: give each thread its own copy (copies share the
  // compiled patterns).
  Result<std::vector<DlpFinding>> scan(std::string_view text) const;

 private:
  struct ExactSet;
  DlpScanner(PatternScanner triggers, std::shared_ptr<const ExactSet> exact);
  // One Vectorscan pass finds where a kind may be; exact patterns then confirm it there.
  PatternScanner triggers_;
  std::shared_ptr<const ExactSet> exact_;
};

// The preview of a value of `kind`: at most the kind's public prefix (a fixed marker such as
// "ghp_" or "AKIA", the last four digits of a card, the domain of an e-mail), then the length.
std::string redact(DlpKind kind, std::string_view value);

}  // namespace ztai::detect
