// The value of one event field, as rules compare it and outputs print it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ztai {

// monostate: the field does not apply to this event or its value is unknown.
using FieldValue = std::variant<std::monostate, int64_t, uint64_t, bool, std::string, std::vector<std::string>>;

// Ordered name -> value pairs, in the order an output lists them.
using FieldList = std::vector<std::pair<std::string, FieldValue>>;

}  // namespace ztai
