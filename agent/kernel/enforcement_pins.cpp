#include "agent/kernel/enforcement_pins.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <bpf/bpf.h>

#include "agent/common/log.h"

namespace ztai {
namespace {

constexpr std::string_view kDirPrefix = "policy-v";
// bpffs refuses names with a dot.
constexpr std::string_view kRetired = "-retired-";

bool on_bpffs(const std::string& path) {
  struct statfs st {};
  return statfs(path.c_str(), &st) == 0 && st.f_type == static_cast<decltype(st.f_type)>(BPF_FS_MAGIC);
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  if (ec) return make_error(ErrorCode::kIo, "{}: cannot list: {}", dir, ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Status make_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "{}: cannot create: {}", dir, strerror(errno));
  }
  return {};
}

}  // namespace

std::string policy_pin_dir_name(uint32_t version) { return fmt::format("{}{}", kDirPrefix, version); }

std::optional<uint32_t> policy_pin_dir_version(std::string_view name) {
  if (name.substr(0, kDirPrefix.size()) != kDirPrefix) return std::nullopt;
  name.remove_prefix(kDirPrefix.size());
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || end == name.data()) return std::nullopt;
  std::string_view rest(end, static_cast<size_t>(name.data() + name.size() - end));
  if (!rest.empty() && (rest.substr(0, kRetired.size()) != kRetired || rest.size() == kRetired.size())) {
    return std::nullopt;
  }
  return v;
}

PinPlan plan_pins(const std::vector<std::string>& entries, uint32_t version, bool persist) {
  PinPlan plan;
  const std::string mine = policy_pin_dir_name(version);
  for (const std::string& e : entries) {
    if (!policy_pin_dir_version(e)) continue;
    if (persist && e == mine) {
      plan.adopt = true;
    } else {
      plan.stale.push_back(e);
    }
  }
  return plan;
}

Result<std::unique_ptr<EnforcementPins>> EnforcementPins::open(const PinSettings& settings, uint32_t version) {
  std::unique_ptr<EnforcementPins> self(
      new EnforcementPins(settings, settings.root + "/" + policy_pin_dir_name(version)));
  struct stat st {};
  if (!settings.persist && stat(settings.root.c_str(), &st) != 0) return self;  // nothing was ever pinned
  if (settings.persist) {
    std::string parent = std::filesystem::path(settings.root).parent_path().string();
    if (stat(settings.root.c_str(), &st) != 0 && !on_bpffs(parent)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "enforcement.pin_root: {} is not in a bpf filesystem (kernel.bpffs is mounted at start-up)",
                        settings.root);
    }
    if (Status s = make_dir(settings.root); !s) return s.error().context("enforcement.pin_root");
  }
  if (!on_bpffs(settings.root)) {
    if (!settings.persist) return self;  // no agent can have pinned there
    return make_error(ErrorCode::kInvalidArgument, "enforcement.pin_root: {} is not in a bpf filesystem",
                      settings.root);
  }
  auto entries = list_dir(settings.root);
  if (!entries) return entries.error().context("enforcement.pin_root");
  PinPlan plan = plan_pins(*entries, version, settings.persist);
  self->adopt_ = plan.adopt;
  for (const std::string& s : plan.stale) self->stale_.push_back(settings.root + "/" + s);
  if (settings.persist) {
    if (Status s = make_dir(self->dir_); !s) return s.error();
    if (Status s = make_dir(self->dir_ + "/links"); !s) return s.error();
  }
  for (const std::string& s : self->stale_) {
    log::info("pinned enforcement at {} is not adopted ({}); it is removed once this agent enforces", s,
              settings.persist ? "another layout version" : "enforcement.persist is false");
  }
  return self;
}

std::string EnforcementPins::map_path(std::string_view name) const { return fmt::format("{}/{}", dir_, name); }

Status EnforcementPins::retire(std::string_view why) {
  std::string retired = fmt::format("{}{}{}", dir_, kRetired, getpid());
  if (rename(dir_.c_str(), retired.c_str()) != 0) {
    return make_error(ErrorCode::kIo, "{}: cannot set aside: {}", dir_, strerror(errno));
  }
  log::warn("pinned enforcement at {} is not adopted ({}); set aside as {} and removed once this agent enforces", dir_,
            why, retired);
  adopt_ = false;
  stale_.push_back(retired);
  if (Status s = make_dir(dir_); !s) return s;
  return make_dir(dir_ + "/links");
}

Status EnforcementPins::pin_link(int link_fd, std::string_view name) {
  std::string path = fmt::format("{}/links/{}", dir_, name);
  std::string tmp = fmt::format("{}/links/{}-new-{}", dir_, name, getpid());
  unlink(tmp.c_str());  // left by a crash of this very pid number
  if (bpf_obj_pin(link_fd, tmp.c_str()) != 0) {
    return make_error(ErrorCode::kKernel, "{}: pinning the link failed: {}", tmp, strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, "{}: replacing the pinned link failed: {}", path, strerror(err));
  }
  pinned_links_.insert(std::string(name));
  return {};
}

Status EnforcementPins::finish() {
  if (settings_.persist) {
    auto links = list_dir(dir_ + "/links");
    if (!links) return links.error();
    for (const std::string& l : *links) {
      if (pinned_links_.count(l)) continue;
      std::string path = dir_ + "/links/" + l;
      if (unlink(path.c_str()) != 0) return make_error(ErrorCode::kIo, "{}: cannot remove: {}", path, strerror(errno));
      log::info("removed {}: an earlier agent's link this agent does not attach", path);
    }
  }
  for (const std::string& dir : stale_) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) return make_error(ErrorCode::kIo, "{}: cannot remove the pinned enforcement: {}", dir, ec.message());
    log::info("removed the pinned enforcement at {}: its programs are detached", dir);
  }
  stale_.clear();
  if (settings_.persist) {
    log::info("network enforcement is pinned under {}: it keeps enforcing while no agent runs (enforcement.persist)",
              dir_);
  }
  return {};
}

}  // namespace ztai
