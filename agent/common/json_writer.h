// A streaming JSON writer into one string. Alerts and events are written once per record, so
// there is no DOM; strings are escaped per RFC 8259 and invalid UTF-8 becomes U+FFFD, so hostile
// bytes in a command line or a payload cannot break a line-oriented consumer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ztai {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Inserts already-serialised JSON as a value.
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separate();

  std::string& out_;
  bool need_comma_ = false;
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is malformed (overlong forms,
// surrogates and code points above U+10FFFF included). Other text formats sanitise with it too.
size_t utf8_sequence_length(std::string_view s, size_t i);

// Appends s to out with JSON string escaping (no surrounding quotes).
void json_escape(std::string& out, std::string_view s);

}  // namespace ztai
