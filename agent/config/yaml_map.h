// Checked reading of YAML mappings for config, rule and policy files: every error names the
// file, line and column, values are range-checked, and keys nobody asked for are rejected, so a
// typo is an error rather than a silently ignored setting.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/common/result.h"

namespace ztai {

// "file:line:column" of a node (1-based), or just the file when the node has no mark.
std::string yaml_where(const std::string& file, const YAML::Node& node);

// Parses a whole file or string; syntax errors carry file:line:column.
Result<YAML::Node> yaml_load_file(const std::string& path);
Result<YAML::Node> yaml_load_string(const std::string& text, const std::string& name);

class YamlMap {
 public:
  // node must be a mapping (or null/undefined, read as empty); what names it in errors.
  static Result<YamlMap> of(const YAML::Node& node, std::string file, std::string what);

  Result<uint64_t> get_uint(std::string_view key, uint64_t def, uint64_t min, uint64_t max);
  Result<std::string> get_string(std::string_view key, std::string def);
  Result<bool> get_bool(std::string_view key, bool def);
  Result<std::vector<std::string>> get_string_list(std::string_view key);
  // The raw child (undefined when absent); marks the key as known.
  YAML::Node get(std::string_view key);
  // A child mapping (empty when absent).
  Result<YamlMap> get_map(std::string_view key);

  // Fails on the first key that no get_* call asked for.
  Status finish() const;

  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }
  std::string where(const YAML::Node& n) const { return yaml_where(file_, n); }

 private:
  YamlMap(YAML::Node node, std::string file, std::string what)
      : node_(std::move(node)), file_(std::move(file)), what_(std::move(what)) {}
  Error bad(const YAML::Node& n, std::string_view key, std::string_view msg) const;
  std::string path(std::string_view key) const;  // "kernel.poll_interval_ms"

  YAML::Node node_;
  std::string file_;
  std::string what_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace ztai
