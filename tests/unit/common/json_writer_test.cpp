#include "agent/common/json_writer.h"

#include <gtest/gtest.h>

namespace ztai {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  json_escape(out, s);
  return out;
}

TEST(JsonWriter, WritesNestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", int64_t{-1}).field("b", uint64_t{2}).field("c", true).key("d").begin_array();
  w.value("x").value("y").end_array().key("e").begin_object().end_object().key("f").null().end_object();
  EXPECT_EQ(out, R"({"a":-1,"b":2,"c":true,"d":["x","y"],"e":{},"f":null})");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(escaped("a\"b\\c"), R"(a\"b\\c)");
  EXPECT_EQ(escaped("\n\r\t\b\f"), R"(\n\r\t\b\f)");
  EXPECT_EQ(escaped(std::string("\x01\x1f\x7f", 3)), R"(\u0001\u001f\u007f)");
  EXPECT_EQ(escaped(std::string("a\0b", 3)), R"(a\u0000b)");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(escaped("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(escaped("\xFF"), R"(\ufffd)");
  EXPECT_EQ(escaped("\xC3"), R"(\ufffd)");             // truncated sequence
  EXPECT_EQ(escaped("\xC0\xAF"), R"(\ufffd\ufffd)");   // overlong '/'
  EXPECT_EQ(escaped("\xED\xA0\x80"), R"(\ufffd\ufffd\ufffd)");  // UTF-16 surrogate
  EXPECT_EQ(escaped("\xF4\x90\x80\x80"), R"(\ufffd\ufffd\ufffd\ufffd)");  // above U+10FFFF
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().value(1.5).value(std::numeric_limits<double>::infinity()).end_array();
  EXPECT_EQ(out, "[1.5,null]");
}

}  // namespace
}  // namespace ztai
