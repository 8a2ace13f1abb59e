// A directory of the test's own under the system's temporary directory, removed with everything
// in it when the object goes (also after a failed assertion).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace ztai::testing {

class TempDir {
 public:
  // <tmp>/<prefix>-XXXXXX; path() is empty when it could not be made.
  explicit TempDir(std::string_view prefix = "ztai-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace ztai::testing
