// Checks run on a candidate after the pattern matched: checksums and validity rules that a regular
// expression cannot express. Each takes the matched text as the pattern found it.
#pragma once

#include <string_view>

namespace ztai::detect {

// Luhn mod-10 over the digits of `text` (separators ignored); false when there are none.
bool luhn_valid(std::string_view text);
// A payment card: 13 to 19 digits, an issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners,
// UnionPay), and the Luhn check.
bool payment_card_valid(std::string_view text);
// ISO 13616 IBAN: known country and its length, then ISO 7064 mod-97 == 1. Spaces are ignored.
bool iban_valid(std::string_view text);
// US SSN AAA-GG-SSSS: area not 000, 666 or 900-999; group not 00; serial not 0000.
bool us_ssn_valid(std::string_view text);
// A phone number has 10 to 15 digits (E.164 allows at most 15).
bool phone_valid(std::string_view text);
// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view text);
// A JWT: three dot-separated base64url parts whose header decodes to a JSON object naming "alg".
bool jwt_valid(std::string_view text);

}  // namespace ztai::detect
