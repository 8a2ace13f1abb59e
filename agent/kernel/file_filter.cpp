#include "agent/kernel/file_filter.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include <bpf/bpf.h>

#include "bpf/abi/filter.h"

namespace ztai {
namespace {

// Deletes every key of a map that is not in `keep` (keys compared as raw bytes).
template <typename Key>
Status delete_stale(int fd, const std::set<std::string>& keep) {
  Key key{}, next{};
  std::vector<Key> stale;
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    std::string raw(reinterpret_cast<const char*>(&next), sizeof(next));
    if (!keep.count(raw)) stale.push_back(next);
    key = next;
    prev = &key;
  }
  for (const Key& k : stale) {
    if (bpf_map_delete_elem(fd, &k) != 0 && errno != ENOENT) {
      return make_error(ErrorCode::kKernel, "removing a file filter entry failed: {}", strerror(errno));
    }
  }
  return {};
}

}  // namespace

void FileInterest::merge(const FileInterest& other) {
  enabled = enabled || other.enabled;
  all_paths = all_paths || other.all_paths;
  for (const PathPattern& p : other.patterns) {
    if (std::find(patterns.begin(), patterns.end(), p) == patterns.end()) patterns.push_back(p);
  }
  if (!other.enabled) return;
  if (!cgroups || !other.cgroups) {
    cgroups = std::nullopt;
  } else {
    for (uint64_t id : *other.cgroups) cgroups->push_back(id);
  }
}

Status FileFilter::apply(const FileInterest& interest) {
  // Prefix trie: prefixes and exact paths, first ZTAI_FILTER_PATH_MAX bytes. An exact path that
  // some prefix already covers also answers as a prefix: LPM returns only the longest entry.
  std::map<std::string, ztai_path_match_value> prefixes;
  std::map<std::string, ztai_path_match_value> suffixes;
  for (const PathPattern& p : interest.patterns) {
    if (p.kind == PathPattern::Kind::kSuffix) {
      std::string rev(p.value.rbegin(), p.value.rend());
      rev.resize(std::min<size_t>(rev.size(), ZTAI_FILTER_SUFFIX_MAX));  // longer: over-match, rules re-check
      suffixes[rev] = {static_cast<__u32>(rev.size()), ZTAI_MATCH_PREFIX};
      continue;
    }
    std::string v = p.value.substr(0, ZTAI_FILTER_PATH_MAX);
    bool cut = v.size() < p.value.size();
    auto& e = prefixes[v];
    e.len = static_cast<__u32>(v.size());
    e.match |= (p.kind == PathPattern::Kind::kPrefix || cut) ? ZTAI_MATCH_PREFIX : ZTAI_MATCH_EXACT;
  }
  for (auto& [path, value] : prefixes) {
    for (const auto& [other, ov] : prefixes) {
      if ((ov.match & ZTAI_MATCH_PREFIX) && other.size() < path.size() && path.starts_with(other)) {
        value.match |= ZTAI_MATCH_PREFIX;
      }
    }
  }

  std::set<std::string> keep_prefixes, keep_suffixes;
  for (const auto& [path, value] : prefixes) {
    ztai_path_prefix_key key{};
    key.prefixlen = static_cast<__u32>(path.size() * 8);
    std::memcpy(key.path, path.data(), path.size());
    if (bpf_map_update_elem(prefixes_fd_, &key, &value, BPF_ANY) != 0) {
      return make_error(ErrorCode::kKernel, "file filter: adding prefix '{}' failed: {}", path, strerror(errno));
    }
    keep_prefixes.insert(std::string(reinterpret_cast<const char*>(&key), sizeof(key)));
  }
  for (const auto& [rev, value] : suffixes) {
    ztai_path_suffix_key key{};
    key.prefixlen = static_cast<__u32>(rev.size() * 8);
    std::memcpy(key.reversed, rev.data(), rev.size());
    if (bpf_map_update_elem(suffixes_fd_, &key, &value, BPF_ANY) != 0) {
      return make_error(ErrorCode::kKernel, "file filter: adding a suffix failed: {}", strerror(errno));
    }
    keep_suffixes.insert(std::string(reinterpret_cast<const char*>(&key), sizeof(key)));
  }
  std::set<std::string> keep_cgroups;
  if (interest.cgroups) {
    for (uint64_t id : *interest.cgroups) {
      __u8 one = 1;
      if (bpf_map_update_elem(cgroups_fd_, &id, &one, BPF_ANY) != 0) {
        return make_error(ErrorCode::kKernel, "file filter: adding cgroup {} failed: {}", id, strerror(errno));
      }
      keep_cgroups.insert(std::string(reinterpret_cast<const char*>(&id), sizeof(id)));
    }
  }

  ztai_file_filter_config cfg{};
  cfg.enabled = interest.enabled;
  cfg.all_paths = interest.all_paths;
  cfg.all_cgroups = !interest.cgroups.has_value();
  cfg.tries = (prefixes.empty() ? 0 : ZTAI_FILTER_HAS_PREFIXES) | (suffixes.empty() ? 0 : ZTAI_FILTER_HAS_SUFFIXES);
  __u32 zero = 0;
  if (bpf_map_update_elem(config_fd_, &zero, &cfg, BPF_ANY) != 0) {
    return make_error(ErrorCode::kKernel, "file filter: writing its settings failed: {}", strerror(errno));
  }
  if (Status s = delete_stale<ztai_path_prefix_key>(prefixes_fd_, keep_prefixes); !s) return s;
  if (Status s = delete_stale<ztai_path_suffix_key>(suffixes_fd_, keep_suffixes); !s) return s;
  return delete_stale<__u64>(cgroups_fd_, keep_cgroups);
}

}  // namespace ztai
