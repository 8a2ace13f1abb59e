#include "agent/protocols/json_text.h"

namespace ztai::json_text {
namespace {

// Bracket depth outside strings; nlohmann's parser would otherwise recurse as deep as the input.
bool depth_within(std::string_view text) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<Json> parse(std::string_view text) {
  if (!depth_within(text)) return std::nullopt;
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

const Json* member(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const Json& j, std::string_view key) {
  const Json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

std::optional<uint64_t> uint(const Json& j, std::string_view key) {
  const Json* m = member(j, key);
  if (!m || !m->is_number_integer() || (!m->is_number_unsigned() && m->get<int64_t>() < 0)) return std::nullopt;
  return m->get<uint64_t>();
}

const Json* array(const Json& j, std::string_view key) {
  const Json* m = member(j, key);
  return m && m->is_array() ? m : nullptr;
}

const Json* object(const Json& j, std::string_view key) {
  const Json* m = member(j, key);
  return m && m->is_object() ? m : nullptr;
}

std::string text(const Json& j, size_t max_bytes) {
  std::string out = j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

}  // namespace ztai::json_text
