// Small helpers for the agent's writers of BPF maps: an error naming the failed operation with
// errno, and the keys of a hash or trie map.
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/common/result.h"

namespace ztai {

// "<what> failed: <strerror(errno)>"; call right after the failing libbpf call.
inline Error bpf_map_error(const char* what) {
  return make_error(ErrorCode::kKernel, "{} failed: {}", what, strerror(errno));
}

// Keys of a hash or trie map; the walk restarts nowhere, so keys deleted meanwhile are skipped.
// `what` names the map in the error.
template <typename Key>
Result<std::vector<Key>> bpf_map_keys(int fd, const char* what) {
  std::vector<Key> keys;
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) return bpf_map_error(what);
  return keys;
}

}  // namespace ztai
