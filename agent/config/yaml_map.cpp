#include "agent/config/yaml_map.h"

#include <charconv>

namespace ztai {

std::string yaml_where(const std::string& file, const YAML::Node& node) {
  if (!node.IsDefined() || node.Mark().is_null()) return file;
  return fmt::format("{}:{}:{}", file, node.Mark().line + 1, node.Mark().column + 1);
}

Result<YAML::Node> yaml_load_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return make_error(ErrorCode::kNotFound, "{}: cannot open the file", path);
  } catch (const YAML::ParserException& e) {
    return make_error(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

Result<YAML::Node> yaml_load_string(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return make_error(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

Result<YamlMap> YamlMap::of(const YAML::Node& node, std::string file, std::string what) {
  if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} must be a mapping", yaml_where(file, node), what);
  }
  return YamlMap(node, std::move(file), std::move(what));
}

Error YamlMap::bad(const YAML::Node& n, std::string_view key, std::string_view msg) const {
  return make_error(ErrorCode::kInvalidArgument, "{}: {}: {}", where(n), path(key), msg);
}

std::string YamlMap::path(std::string_view key) const {
  return what_.empty() ? std::string(key) : fmt::format("{}.{}", what_, key);
}

YAML::Node YamlMap::get(std::string_view key) {
  known_.emplace(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

Result<uint64_t> YamlMap::get_uint(std::string_view key, uint64_t def, uint64_t min, uint64_t max) {
  YAML::Node n = get(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) return bad(n, key, "expected a number");
  const std::string& s = n.Scalar();
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return bad(n, key, fmt::format("'{}' is not a non-negative integer", s));
  }
  if (v < min || v > max) return bad(n, key, fmt::format("{} is outside [{}, {}]", v, min, max));
  return v;
}

Result<std::string> YamlMap::get_string(std::string_view key, std::string def) {
  YAML::Node n = get(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) return bad(n, key, "expected a string");
  return n.Scalar();
}

Result<bool> YamlMap::get_bool(std::string_view key, bool def) {
  YAML::Node n = get(key);
  if (!n.IsDefined()) return def;
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true") return true;
  if (s == "false") return false;
  return bad(n, key, "expected true or false");
}

Result<std::vector<std::string>> YamlMap::get_string_list(std::string_view key) {
  YAML::Node n = get(key);
  std::vector<std::string> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) return bad(n, key, "expected a list of strings");
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) return bad(item, key, "expected a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

Result<YamlMap> YamlMap::get_map(std::string_view key) {
  YAML::Node n = get(key);
  return of(n, file_, path(key));
}

Status YamlMap::finish() const {
  if (!node_.IsMap()) return {};
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (!known_.count(key)) {
      std::string known;
      for (const std::string& k : known_) known += (known.empty() ? "" : ", ") + k;
      return make_error(ErrorCode::kInvalidArgument, "{}: unknown key '{}' in {} (known: {})", where(it->first), key,
                        what_.empty() ? "the top level" : what_, known);
    }
  }
  return {};
}

}  // namespace ztai
