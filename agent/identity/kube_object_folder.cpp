#include "agent/identity/kube_object_folder.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/common/log.h"

namespace ztai {
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

Status KubeObjectFolder::prepare() const {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) return make_error(ErrorCode::kIo, "{}: {}", folder_, ec.message());
  return {};
}

Result<std::pair<std::string, std::string>> KubeObjectFolder::file_of(const json& object) const {
  auto file = file_of_(object);
  if (!file) return file.error();
  if (!valid_name(file->first)) {
    return make_error(ErrorCode::kInvalidArgument, "'{}': metadata.name is not a DNS-1123 name", file->first);
  }
  return file;
}

bool KubeObjectFolder::write(const std::string& name, const std::string& text) {
  fs::path file = fs::path(folder_) / (name + ".yaml");
  if (fs::exists(file) && read_all(file) == text) return false;
  // Written aside and renamed, so a loader never reads half an object; the temporary name does
  // not end in .yaml, so it is never loaded.
  fs::path tmp = fs::path(folder_) / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      log::error("{}: cannot write {}: {}", name, tmp.string(), strerror(errno));
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    log::error("{}: cannot write {}: {}", name, file.string(), ec.message());
    fs::remove(tmp, ec);
    return false;
  }
  log::info("{} written from the Kubernetes API", file.string());
  return true;
}

bool KubeObjectFolder::remove(const std::string& name) {
  std::error_code ec;
  fs::path file = fs::path(folder_) / (name + ".yaml");
  if (!fs::remove(file, ec)) return false;
  log::info("{} removed: its object was deleted", file.string());
  return true;
}

void KubeObjectFolder::notify(bool changed) const {
  if (changed && changed_) changed_();
}

size_t KubeObjectFolder::replace_all(const std::vector<json>& items) {
  size_t bad = 0;
  bool changed = false;
  std::set<std::string> names;
  for (const json& item : items) {
    auto file = file_of(item);
    if (!file) {
      log::error("{}: {}", folder_, file.error().message());
      ++bad;
      continue;
    }
    names.insert(file->first);
    changed |= write(file->first, file->second);
  }
  // Objects deleted while the agent was not watching.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() == ".yaml" && !names.count(p.stem().string())) changed |= remove(p.stem().string());
  }
  notify(changed);
  return bad;
}

bool KubeObjectFolder::apply(std::string_view type, const json& object) {
  auto file = file_of(object);
  if (!file) {
    log::error("{}: {}", folder_, file.error().message());
    return false;
  }
  bool changed = false;
  if (type == "DELETED") {
    changed = remove(file->first);
  } else if (type == "ADDED" || type == "MODIFIED") {
    changed = write(file->first, file->second);
  } else {
    return false;
  }
  notify(changed);
  return true;
}

Result<std::unique_ptr<KubeFolderSync>> KubeFolderSync::start(KubeWatchSettings watch, std::string folder,
                                                              KubeObjectFolder::FileOf file_of,
                                                              std::function<void()> changed, MetricsRegistry& metrics) {
  KubeObjectFolder f(std::move(folder), std::move(file_of), std::move(changed));
  if (Status s = f.prepare(); !s) return s.error();
  std::unique_ptr<KubeFolderSync> sync(new KubeFolderSync(std::move(watch), std::move(f), metrics));
  sync->watcher_.start();
  return sync;
}

}  // namespace ztai
