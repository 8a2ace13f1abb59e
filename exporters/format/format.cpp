#include "exporters/format/format.h"

#include <array>

#include "agent/common/json_writer.h"
#include "exporters/format/cef_format.h"
#include "exporters/format/ecs_format.h"
#include "exporters/format/json_format.h"
#include "exporters/format/ocsf_format.h"

namespace ztai {
namespace {

void format_text(const Record& r, std::string& out) { append_utf8(out, r.output); }

constexpr std::array<std::pair<std::string_view, FormatFn>, 5> kFormats = {{
    {"json", format_json}, {"ocsf", format_ocsf}, {"ecs", format_ecs}, {"cef", format_cef}, {"text", format_text}}};

}  // namespace

Result<FormatFn> find_format(std::string_view name) {
  for (const auto& [n, f] : kFormats) {
    if (n == name) return f;
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown format '{}' (known: json, ocsf, ecs, cef, text)", name);
}

Result<FormatFn> read_format(YamlMap& config, std::string_view def) {
  YAML::Node n = config.get("format");
  auto name = config.get_string("format", std::string(def));
  if (!name) return name.error();
  auto f = find_format(*name);
  if (!f) return f.error().context(config.where(n.IsDefined() ? n : config.node()));
  return f;
}

Result<FormatFn> read_json_format(YamlMap& config, std::string_view def) {
  YAML::Node n = config.get("format");
  auto f = read_format(config, def);
  if (!f) return f.error();
  if (*f == format_cef || *f == format_text) {
    return make_error(ErrorCode::kInvalidArgument, "{}: format: this output embeds records in JSON: json, ocsf or ecs",
                      config.where(n));
  }
  return f;
}

const FieldValue* find_field(const Record& record, std::string_view name) {
  for (const auto& [n, v] : record.fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string field_text(const Record& record, std::string_view name) {
  const FieldValue* v = find_field(record, name);
  if (!v) return {};
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return {};
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string s;
          for (const std::string& e : x) s += (s.empty() ? "" : " ") + e;
          return s;
        } else {
          return std::to_string(x);
        }
      },
      *v);
}

void append_utf8(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

}  // namespace ztai
