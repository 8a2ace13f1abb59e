#include "agent/rules/rule_bundles.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/common/log.h"

namespace ztai::rules {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// metadata.name of a cluster object is a DNS-1123 subdomain; anything else could leave the folder.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<std::pair<std::string, std::string>> rule_bundle_of(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "a RuleBundle without metadata");
  }
  std::string name = object["metadata"].value("name", "");
  if (!valid_name(name)) {
    return make_error(ErrorCode::kInvalidArgument, "RuleBundle '{}': metadata.name is not a DNS-1123 name", name);
  }
  const json* spec = object.contains("spec") ? &object["spec"] : nullptr;
  if (!spec || !spec->is_object() || !spec->contains("rules") || !(*spec)["rules"].is_string()) {
    return make_error(ErrorCode::kInvalidArgument, "RuleBundle {}: spec.rules is missing or not a string", name);
  }
  return std::make_pair(name, (*spec)["rules"].get<std::string>());
}

Status RuleBundleFolder::prepare() const {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) return make_error(ErrorCode::kIo, "rules.bundles_dir {}: {}", folder_, ec.message());
  return {};
}

bool RuleBundleFolder::write(const std::string& name, const std::string& rules) {
  fs::path file = fs::path(folder_) / (name + ".yaml");
  if (fs::exists(file) && read_all(file) == rules) return false;
  // Written aside and renamed, so the reloader never reads half a bundle; the temporary name does
  // not end in .yaml, so it is never loaded.
  fs::path tmp = fs::path(folder_) / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << rules;
    if (!out.flush()) {
      log::error("RuleBundle {}: cannot write {}: {}", name, tmp.string(), strerror(errno));
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    log::error("RuleBundle {}: cannot write {}: {}", name, file.string(), ec.message());
    fs::remove(tmp, ec);
    return false;
  }
  log::info("RuleBundle {}: written to {}", name, file.string());
  return true;
}

bool RuleBundleFolder::remove(const std::string& name) {
  std::error_code ec;
  fs::path file = fs::path(folder_) / (name + ".yaml");
  if (!fs::remove(file, ec)) return false;
  log::info("RuleBundle {}: deleted, {} removed", name, file.string());
  return true;
}

size_t RuleBundleFolder::replace_all(const std::vector<json>& items) {
  size_t bad = 0;
  bool changed = false;
  std::set<std::string> names;
  for (const json& item : items) {
    auto bundle = rule_bundle_of(item);
    if (!bundle) {
      log::error("{}", bundle.error().message());
      ++bad;
      continue;
    }
    names.insert(bundle->first);
    changed |= write(bundle->first, bundle->second);
  }
  // Bundles deleted while the agent was not watching.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() == ".yaml" && !names.count(p.stem().string())) changed |= remove(p.stem().string());
  }
  if (changed && changed_) changed_();
  return bad;
}

bool RuleBundleFolder::apply(std::string_view type, const json& object) {
  auto bundle = rule_bundle_of(object);
  if (!bundle) {
    log::error("{}", bundle.error().message());
    return false;
  }
  bool changed = false;
  if (type == "DELETED") {
    changed = remove(bundle->first);
  } else if (type == "ADDED" || type == "MODIFIED") {
    changed = write(bundle->first, bundle->second);
  } else {
    return false;
  }
  if (changed && changed_) changed_();
  return true;
}

}  // namespace ztai::rules
