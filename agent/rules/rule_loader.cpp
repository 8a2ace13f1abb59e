#include "agent/rules/rule_loader.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "agent/rules/rule_compiler.h"
#include "agent/rules/rule_document.h"

namespace ztai::rules {
namespace {

namespace fs = std::filesystem;

bool is_rule_file(const fs::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

// The files a path stands for; a missing path gives none and sets `missing`.
std::vector<std::string> expand_path(const std::string& path, bool& missing, std::string& error) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    missing = true;
    return {};
  }
  if (!fs::is_directory(st)) return {path};
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_rule_file(it->path())) files.push_back(it->path().string());
  }
  if (ec) error = ec.message();
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

LoadedRules load_rules(const std::vector<std::string>& paths, bool missing_ok, const FieldRegistry& registry) {
  LoadedRules out;
  RuleDocument doc;
  for (const std::string& path : paths) {
    bool missing = false;
    std::string error;
    std::vector<std::string> files = expand_path(path, missing, error);
    if (missing && !missing_ok) out.diags.error(path, "", "no such file or folder");
    if (!error.empty()) out.diags.error(path, "", fmt::format("cannot list the folder: {}", error));
    for (const std::string& f : files) {
      doc.add_file(f, out.diags);
      out.files.push_back(f);
    }
  }
  // Compiled even after file errors, so one run reports every problem it can.
  out.rules = compile_rules(doc, registry, out.diags);
  return out;
}

std::string rule_files_fingerprint(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& path : paths) {
    bool missing = false;
    std::string error;
    for (const std::string& f : expand_path(path, missing, error)) {
      std::error_code ec;
      auto size = fs::file_size(f, ec);
      auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
      out += fmt::format("{}\t{}\t{}\n", f, size, mtime);
    }
  }
  return out;
}

}  // namespace ztai::rules
