#include "agent/detect/dlp/dlp_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ztai::detect {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Deterministic key material: mixed case and digits, like real random keys (built at run time so
// the sources hold nothing a secret scanner would flag).
std::string random_chars(std::size_t n, unsigned seed, std::string_view alphabet =
                                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") {
  std::string out;
  unsigned x = seed * 2654435761u + 12345;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out.push_back(alphabet[(x >> 16) % alphabet.size()]);
  }
  return out;
}

class DlpScannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto created = DlpScanner::create();
    ASSERT_TRUE(created) << created.error().message();
    scanner_ = new DlpScanner(std::move(*created));
  }
  static void TearDownTestSuite() { delete scanner_; }

  std::vector<DlpFinding> scan(std::string_view text) {
    auto findings = scanner_->scan(text);
    EXPECT_TRUE(findings) << findings.error().message();
    return findings ? *findings : std::vector<DlpFinding>{};
  }
  std::vector<std::string> kinds(std::string_view text) {
    std::vector<std::string> out;
    for (const DlpFinding& f : scan(text)) out.emplace_back(dlp_kind_name(f.kind));
    return out;
  }
  // The one finding in `text`, which must cover `value` exactly.
  void expect_single(std::string_view text, std::string_view value, DlpKind kind) {
    auto findings = scan(text);
    ASSERT_EQ(findings.size(), 1u) << text;
    EXPECT_EQ(dlp_kind_name(findings[0].kind), dlp_kind_name(kind)) << text;
    EXPECT_EQ(text.substr(findings[0].offset, findings[0].length), value) << text;
  }

  static DlpScanner* scanner_;
};
DlpScanner* DlpScannerTest::scanner_ = nullptr;

TEST_F(DlpScannerTest, AwsAccessKeyIdAndSecret) {
  expect_single("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE", DlpKind::kAwsAccessKeyId);
  expect_single("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", DlpKind::kAwsSecretAccessKey);
  expect_single(R"({"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", DlpKind::kAwsSecretAccessKey);
  EXPECT_THAT(kinds("AKIAIOSFODNN7EXAMPL"), IsEmpty());           // one short
  EXPECT_THAT(kinds("XAKIAIOSFODNN7EXAMPLE"), IsEmpty());         // inside a longer word
  EXPECT_THAT(kinds("aws_secret_access_key = " + std::string(40, 'a')), IsEmpty());  // no entropy
}

TEST_F(DlpScannerTest, GcpServiceAccountKeyAndApiKey) {
  std::string id = random_chars(40, 1, "0123456789abcdef");
  expect_single(R"({"type": "service_account", "private_key_id": ")" + id + R"(", "client_email": "x"})", id,
                DlpKind::kGcpServiceAccountKey);
  EXPECT_THAT(kinds(R"("private_key_id": ")" + id.substr(1) + R"(")"), IsEmpty());  // 39 hex digits
  std::string api = "AIza" + random_chars(35, 2);
  expect_single("key=" + api + "&q=1", api, DlpKind::kGcpApiKey);
  EXPECT_THAT(kinds("AIza" + random_chars(36, 2)), IsEmpty());  // longer than any Google API key
}

TEST_F(DlpScannerTest, AzureStorageConnectionString) {
  std::string key = random_chars(86, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + "==";
  expect_single("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.windows.net",
                key, DlpKind::kAzureStorageKey);
  EXPECT_THAT(kinds("AccountKey=" + key.substr(10)), IsEmpty());  // too short for a storage key
}

TEST_F(DlpScannerTest, GithubGitlabSlackStripe) {
  std::string ghp = "ghp_" + random_chars(36, 4);
  expect_single("token " + ghp, ghp, DlpKind::kGithubToken);
  std::string gho = "gho_" + random_chars(36, 5);
  expect_single(gho, gho, DlpKind::kGithubToken);
  std::string pat = "github_pat_" + random_chars(22, 6) + "_" + random_chars(59, 7);
  expect_single("GH=" + pat, pat, DlpKind::kGithubToken);
  EXPECT_THAT(kinds("ghp_" + random_chars(30, 4)), IsEmpty());

  std::string glpat = "glpat-" + random_chars(20, 8);
  expect_single("PRIVATE-TOKEN: " + glpat, glpat, DlpKind::kGitlabToken);
  EXPECT_THAT(kinds("glpat-" + random_chars(12, 8)), IsEmpty());

  std::string slack = "xoxb-1234567890-" + random_chars(24, 9);
  expect_single("SLACK_BOT " + slack, slack, DlpKind::kSlackToken);
  EXPECT_THAT(kinds("xoxb-aaaaaaaaaaaaaaaa"), IsEmpty());

  std::string stripe = "sk_live_" + random_chars(24, 10);
  expect_single("stripe " + stripe, stripe, DlpKind::kStripeKey);
  EXPECT_THAT(kinds("sk_test_" + random_chars(24, 10)), IsEmpty());
}

TEST_F(DlpScannerTest, OpenaiAnthropicHuggingFace) {
  std::string legacy = "sk-" + random_chars(48, 11);
  expect_single("OPENAI " + legacy, legacy, DlpKind::kOpenaiKey);
  std::string proj = "sk-proj-" + random_chars(60, 12) + "_" + random_chars(40, 13);
  expect_single(proj, proj, DlpKind::kOpenaiKey);
  std::string ant = "sk-ant-api03-" + random_chars(93, 14) + "AA";
  expect_single("x-api-key: " + ant, ant, DlpKind::kAnthropicKey);
  std::string hf = "hf_" + random_chars(34, 15);
  expect_single("HF " + hf, hf, DlpKind::kHuggingfaceToken);
  EXPECT_THAT(kinds("task-scheduler-and-dispatcher-for-workers"), IsEmpty());
  EXPECT_THAT(kinds("sk-this-is-not-a-key-just-a-long-slug"), IsEmpty());
}

TEST_F(DlpScannerTest, PrivateKeyBlockIsCoveredWhole) {
  std::string block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + random_chars(64, 16) + "\n-----END RSA PRIVATE KEY-----";
  expect_single("cat id_rsa:\n" + block + "\n", block, DlpKind::kPrivateKey);
  expect_single("-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", DlpKind::kPrivateKey);
  EXPECT_THAT(kinds("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"), IsEmpty());
}

TEST_F(DlpScannerTest, Jwt) {
  std::string jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + random_chars(43, 17);
  expect_single("Authorization: Bearer " + jwt, jwt, DlpKind::kJwt);
  EXPECT_THAT(kinds("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + random_chars(43, 17)), IsEmpty());
}

TEST_F(DlpScannerTest, GenericAssignmentNeedsEntropy) {
  std::string value = random_chars(32, 18);
  expect_single("DB_PASSWORD=" + value, value, DlpKind::kGenericSecret);
  expect_single(R"({"client_secret": ")" + value + R"("})", value, DlpKind::kGenericSecret);
  EXPECT_THAT(kinds("password = correcthorsebatterystaple"), IsEmpty());
  EXPECT_THAT(kinds("token: aaaaaaaaaaaaaaaaaaaaaaaa"), IsEmpty());
  // A named kind inside an assignment is reported once, under its own kind.
  std::string ghp = "ghp_" + random_chars(36, 19);
  EXPECT_THAT(kinds("GITHUB_TOKEN=" + ghp), ElementsAre("github_token"));
}

TEST_F(DlpScannerTest, EmailAndPhone) {
  expect_single("write to jane.doe+ai@example.co.uk today", "jane.doe+ai@example.co.uk", DlpKind::kEmail);
  EXPECT_THAT(kinds("not an address: user@localhost"), IsEmpty());
  expect_single("call +1 415 555 2671.", "+1 415 555 2671", DlpKind::kPhone);
  expect_single("call (415) 555-2671 now", "(415) 555-2671", DlpKind::kPhone);
  expect_single("tel +44 20 7946 0958", "+44 20 7946 0958", DlpKind::kPhone);
  EXPECT_THAT(kinds("version 1.2.3, port 8080, 2024-01-15"), IsEmpty());
}

TEST_F(DlpScannerTest, PaymentCardNeedsLuhn) {
  expect_single("card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111", DlpKind::kPaymentCard);
  expect_single("card 4111-1111-1111-1111", "4111-1111-1111-1111", DlpKind::kPaymentCard);
  expect_single("amex 378282246310005", "378282246310005", DlpKind::kPaymentCard);
  expect_single("amex 3782 822463 10005", "3782 822463 10005", DlpKind::kPaymentCard);
  EXPECT_THAT(kinds("card 4111 1111 1111 1112"), IsEmpty());
  EXPECT_THAT(kinds("order 1234567812345670"), IsEmpty());
}

TEST_F(DlpScannerTest, IbanNeedsItsChecksum) {
  expect_single("IBAN: GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32", DlpKind::kIban);
  expect_single("to DE89370400440532013000 please", "DE89370400440532013000", DlpKind::kIban);
  EXPECT_THAT(kinds("IBAN: GB82 WEST 1234 5698 7654 33"), IsEmpty());
}

TEST_F(DlpScannerTest, UsSsnValidityRules) {
  expect_single("SSN 123-45-6789", "123-45-6789", DlpKind::kUsSsn);
  EXPECT_THAT(kinds("000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000"), IsEmpty());
}

TEST_F(DlpScannerTest, FindingsComeInOrderOfOffset) {
  std::string text = "a@example.com then AKIAIOSFODNN7EXAMPLE then 123-45-6789";
  EXPECT_THAT(kinds(text), ElementsAre("email", "aws_access_key_id", "us_ssn"));
  auto findings = scan(text);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[0].offset, 0u);
  EXPECT_EQ(findings[1].offset, text.find("AKIA"));
  EXPECT_EQ(findings[2].offset, text.find("123-"));
}

TEST_F(DlpScannerTest, NothingInPlainProse) {
  EXPECT_THAT(kinds("The quick brown fox jumps over the lazy dog. Please summarise the attached report "
                    "and list three risks; see section 4.2 on page 17."),
              IsEmpty());
  EXPECT_THAT(kinds(""), IsEmpty());
}

TEST_F(DlpScannerTest, PreviewsNeverHoldTheSecret) {
  std::vector<std::string> values = {
      "AKIAIOSFODNN7EXAMPLE",
      "ghp_" + random_chars(36, 20),
      "github_pat_" + random_chars(22, 21) + "_" + random_chars(59, 22),
      "glpat-" + random_chars(20, 23),
      "xoxp-1234567890-" + random_chars(24, 24),
      "sk_live_" + random_chars(24, 25),
      "sk-proj-" + random_chars(80, 26),
      "sk-ant-api03-" + random_chars(95, 27),
      "hf_" + random_chars(34, 28),
      "AIza" + random_chars(35, 29),
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + random_chars(43, 30),
      "4111 1111 1111 1111",
      "GB82 WEST 1234 5698 7654 32",
      "123-45-6789",
      "jane.doe@example.com",
  };
  for (const std::string& value : values) {
    std::string text = "before " + value + " after";
    auto findings = scan(text);
    ASSERT_EQ(findings.size(), 1u) << value;
    const std::string& preview = findings[0].preview;
    EXPECT_EQ(preview.find(value), std::string::npos) << preview;
    // No run of 6 characters of the value past its first quarter shows up in the preview.
    for (std::size_t i = value.size() / 4; i + 6 <= value.size(); ++i) {
      if (value.substr(i, 6).find('@') != std::string::npos) break;  // an e-mail keeps its domain
      EXPECT_EQ(preview.find(value.substr(i, 6)), std::string::npos) << value << " -> " << preview;
    }
    if (findings[0].kind != DlpKind::kEmail) {
      EXPECT_NE(preview.find("(" + std::to_string(value.size()) + ")"), std::string::npos) << preview;
    }
  }
}

TEST(DlpRedact, ShowsOnlyThePublicPrefixAndTheLength) {
  EXPECT_EQ(redact(DlpKind::kAwsAccessKeyId, "AKIAIOSFODNN7EXAMPLE"), "AKIA****(20)");
  EXPECT_EQ(redact(DlpKind::kGenericSecret, "s3cr3tValue123456"), "****(17)");
  EXPECT_EQ(redact(DlpKind::kUsSsn, "123-45-6789"), "****(11)");
  EXPECT_EQ(redact(DlpKind::kEmail, "jane@example.com"), "****@example.com");
  EXPECT_EQ(redact(DlpKind::kPrivateKey, "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----"),
            "-----BEGIN EC PRIVATE KEY-----(63 bytes)");
  // A prefix is never more than a quarter of the value.
  EXPECT_EQ(redact(DlpKind::kGithubToken, "ghp_abc"), "g****(7)");
}

TEST(DlpKinds, EveryKindHasADistinctName) {
  std::set<std::string_view> names;
  for (DlpKind kind : all_dlp_kinds()) EXPECT_TRUE(names.insert(dlp_kind_name(kind)).second) << dlp_kind_name(kind);
  EXPECT_EQ(names.size(), 20u);
}

}  // namespace
}  // namespace ztai::detect
