// The objects of one Kubernetes collection kept as files: one `<metadata.name>.yaml` per object in
// a folder the agent already loads (rule files, policy files), so an object is checked, reported
// (file:line names the object) and reloaded exactly like a local file, a broken one leaves what
// runs in place, and the last objects seen still load after a restart while the API server is
// away. KubeFolderSync pairs it with the KubeWatcher that feeds it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "agent/common/result.h"
#include "agent/identity/kube_watcher.h"

namespace ztai {

class KubeObjectFolder : public KubeCollection {
 public:
  // An object -> its name and the file's text; an error names what is missing or malformed.
  using FileOf = std::function<Result<std::pair<std::string, std::string>>(const nlohmann::json&)>;

  // changed: called after the folder's files changed; not when nothing did. May be empty (the
  // loader then notices the files itself).
  KubeObjectFolder(std::string folder, FileOf file_of, std::function<void()> changed)
      : folder_(std::move(folder)), file_of_(std::move(file_of)), changed_(std::move(changed)) {}

  // Creates the folder when missing.
  Status prepare() const;
  size_t replace_all(const std::vector<nlohmann::json>& items) override;
  bool apply(std::string_view type, const nlohmann::json& object) override;

 private:
  Result<std::pair<std::string, std::string>> file_of(const nlohmann::json& object) const;
  // Each returns true when the folder changed.
  bool write(const std::string& name, const std::string& text);
  bool remove(const std::string& name);
  void notify(bool changed) const;

  std::string folder_;
  FileOf file_of_;
  std::function<void()> changed_;
};

class KubeFolderSync {
 public:
  // Prepares the folder and starts watching.
  static Result<std::unique_ptr<KubeFolderSync>> start(KubeWatchSettings watch, std::string folder,
                                                       KubeObjectFolder::FileOf file_of, std::function<void()> changed,
                                                       MetricsRegistry& metrics);

 private:
  KubeFolderSync(KubeWatchSettings watch, KubeObjectFolder folder, MetricsRegistry& metrics)
      : folder_(std::move(folder)), watcher_(std::move(watch), folder_, metrics) {}

  KubeObjectFolder folder_;
  KubeWatcher watcher_;  // after folder_: stopped and gone before the folder it writes
};

}  // namespace ztai
