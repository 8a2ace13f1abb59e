#include "agent/common/base64.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\x00", 2)), "/wA=");
}

TEST(Base64, DecodesBothAlphabetsWithOrWithoutPadding) {
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64_decode("/wA="), std::string("\xff\x00", 2));
  EXPECT_EQ(base64_decode("_wA"), std::string("\xff\x00", 2));
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Base64, RejectsForeignCharactersAndImpossibleLengths) {
  EXPECT_FALSE(base64_decode("Zm9v YmFy"));
  EXPECT_FALSE(base64_decode("Zm9vY"));
  EXPECT_FALSE(base64_decode("Zm9*"));
}

}  // namespace
}  // namespace ztai
