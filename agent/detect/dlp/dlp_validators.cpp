#include "agent/detect/dlp/dlp_validators.h"

#include <array>
#include <cmath>
#include <string>

#include "agent/common/base64.h"

namespace ztai::detect {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_digit(c)) out.push_back(c);
  }
  return out;
}

int number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

bool luhn_valid(std::string_view text) {
  std::string digits = digits_of(text);
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool payment_card_valid(std::string_view text) {
  std::string d = digits_of(text);
  if (d.size() < 13 || d.size() > 19) return false;
  // Issuer prefixes: without them every 16-digit id with a lucky check digit (1 in 10) would count.
  int p1 = d[0] - '0';
  int p2 = number(std::string_view(d).substr(0, 2));
  int p3 = number(std::string_view(d).substr(0, 3));
  int p4 = number(std::string_view(d).substr(0, 4));
  bool issuer = p1 == 4                                 // Visa
                || (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)  // Mastercard
                || p2 == 34 || p2 == 37                 // Amex
                || p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)  // Discover
                || (p4 >= 3528 && p4 <= 3589)           // JCB
                || p2 == 36 || (p3 >= 300 && p3 <= 305) || p2 == 38 || p2 == 39  // Diners
                || p2 == 62;                            // UnionPay
  return issuer && luhn_valid(d);
}

namespace {
struct IbanCountry {
  char code[3];
  int length;
};
// Registry lengths (SWIFT IBAN registry) for the countries that issue IBANs.
constexpr std::array<IbanCountry, 77> kIbanCountries{{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28},
    {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
    {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30},
    {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
    {"SA", 24}, {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24},
}};
}  // namespace

bool iban_valid(std::string_view text) {
  std::string iban;
  for (char c : text) {
    if (c != ' ') iban.push_back(c);
  }
  if (iban.size() < 15 || iban.size() > 34) return false;
  bool known = false;
  for (const IbanCountry& country : kIbanCountries) {
    if (iban.compare(0, 2, country.code) == 0) {
      known = static_cast<int>(iban.size()) == country.length;
      break;
    }
  }
  if (!known) return false;
  // Move the country code and check digits to the end, letters become 10..35, then mod 97
  // digit by digit so the number never overflows.
  std::string rotated = iban.substr(4) + iban.substr(0, 4);
  int rem = 0;
  for (char c : rotated) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool us_ssn_valid(std::string_view text) {
  std::string d = digits_of(text);
  if (d.size() != 9) return false;
  int area = number(std::string_view(d).substr(0, 3));
  int group = number(std::string_view(d).substr(3, 2));
  int serial = number(std::string_view(d).substr(5, 4));
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool phone_valid(std::string_view text) {
  std::size_t n = digits_of(text).size();
  return n >= 10 && n <= 15;
}

double shannon_entropy(std::string_view text) {
  if (text.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : text) ++counts[c];
  double h = 0;
  const double n = static_cast<double>(text.size());
  for (std::size_t count : counts) {
    if (count == 0) continue;
    double p = static_cast<double>(count) / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool jwt_valid(std::string_view text) {
  std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.find('.', dot + 1) == std::string_view::npos) return false;
  auto header = base64_decode(text.substr(0, dot));
  if (!header) return false;
  const std::string& json = *header;
  return !json.empty() && json.front() == '{' && json.find("\"alg\"") != std::string::npos;
}

}  // namespace ztai::detect
