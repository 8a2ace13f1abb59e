#include "agent/detect/dlp/dlp_validators.h"

#include <gtest/gtest.h>

namespace ztai::detect {
namespace {

TEST(Luhn, AcceptsTestCardNumbersAndRejectsAChangedDigit) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid(""));
}

TEST(PaymentCard, NeedsAnIssuerPrefixALengthAndTheLuhnCheck) {
  EXPECT_TRUE(payment_card_valid("4111-1111-1111-1111"));  // Visa
  EXPECT_TRUE(payment_card_valid("5500000000000004"));     // Mastercard
  EXPECT_TRUE(payment_card_valid("2223000048400011"));     // Mastercard 2-series
  EXPECT_TRUE(payment_card_valid("378282246310005"));      // Amex
  EXPECT_TRUE(payment_card_valid("6011111111111117"));     // Discover
  EXPECT_FALSE(payment_card_valid("1234567812345670"));    // passes Luhn, no issuer starts with 1
  EXPECT_FALSE(payment_card_valid("4111111111111112"));    // Luhn fails
  EXPECT_FALSE(payment_card_valid("411111111111"));        // 12 digits
}

TEST(Iban, ChecksCountryLengthAndMod97) {
  EXPECT_TRUE(iban_valid("GB82WEST12345698765432"));
  EXPECT_TRUE(iban_valid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_TRUE(iban_valid("DE89370400440532013000"));
  EXPECT_TRUE(iban_valid("NO9386011117947"));
  EXPECT_FALSE(iban_valid("GB82WEST12345698765433"));   // check digits wrong
  EXPECT_FALSE(iban_valid("DE8937040044053201300"));    // one short for DE
  EXPECT_FALSE(iban_valid("XX82WEST12345698765432"));   // no such country
  EXPECT_FALSE(iban_valid("GB82WEST1234569876543!"));
}

TEST(UsSsn, AppliesTheAreaGroupAndSerialRules) {
  EXPECT_TRUE(us_ssn_valid("123-45-6789"));
  EXPECT_TRUE(us_ssn_valid("899-01-0001"));
  EXPECT_FALSE(us_ssn_valid("000-45-6789"));
  EXPECT_FALSE(us_ssn_valid("666-45-6789"));
  EXPECT_FALSE(us_ssn_valid("900-45-6789"));
  EXPECT_FALSE(us_ssn_valid("999-45-6789"));
  EXPECT_FALSE(us_ssn_valid("123-00-6789"));
  EXPECT_FALSE(us_ssn_valid("123-45-0000"));
  EXPECT_FALSE(us_ssn_valid("123-45-678"));
}

TEST(Phone, CountsTenToFifteenDigits) {
  EXPECT_TRUE(phone_valid("+1 415 555 2671"));
  EXPECT_TRUE(phone_valid("(415) 555-2671"));
  EXPECT_FALSE(phone_valid("+49 30 1234"));
  EXPECT_FALSE(phone_valid("+1 234 567 890 123 456"));
}

TEST(Entropy, SeparatesRandomKeysFromWords) {
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abab"), 1.0);
  EXPECT_GT(shannon_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), 4.0);
  EXPECT_LT(shannon_entropy("passwordpassword"), 3.5);
}

TEST(Jwt, NeedsAHeaderThatDecodesToJsonWithAlg) {
  // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
  EXPECT_TRUE(jwt_valid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz"));
  // {"typ":"JWT"} has no alg
  EXPECT_FALSE(jwt_valid("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz"));
  EXPECT_FALSE(jwt_valid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
  EXPECT_FALSE(jwt_valid("e*J.eyJ.abc"));
}

}  // namespace
}  // namespace ztai::detect
