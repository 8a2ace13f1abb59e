// JSON bodies of captured messages, parsed defensively: hostile input is bounded in nesting
// before the parser sees it, and accessors return empty values instead of throwing on a key of
// the wrong type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ztai::json_text {

using Json = nlohmann::json;

inline constexpr size_t kMaxDepth = 64;

// nullopt when the text is not one JSON value or nests deeper than kMaxDepth.
std::optional<Json> parse(std::string_view text);

// Member `key` of an object as a string / number / array / object; empty or nullptr otherwise.
std::string str(const Json& j, std::string_view key);
std::optional<uint64_t> uint(const Json& j, std::string_view key);
const Json* member(const Json& j, std::string_view key);  // any type; nullptr when absent or j is no object
const Json* array(const Json& j, std::string_view key);
const Json* object(const Json& j, std::string_view key);
// A string as itself, anything else as compact JSON text, cut at max_bytes.
std::string text(const Json& j, size_t max_bytes = 64 * 1024);

}  // namespace ztai::json_text
