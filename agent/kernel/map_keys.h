// Small helpers for the agent's writers of BPF maps: an error naming the failed operation with
// errno, the keys of a hash or trie map, and the counters of a per-CPU array summed.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <array>
#include <cerrno>
#include <cstdint>
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

// Entries 0..N-1 of a per-CPU array of u64 counters, each summed over the CPUs.
template <size_t N>
Result<std::array<uint64_t, N>> bpf_percpu_counters(int fd, const char* what) {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return make_error(ErrorCode::kKernel, "cannot count the possible CPUs");
  std::array<uint64_t, N> out{};
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpus));
  for (uint32_t i = 0; i < N; i++) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) return bpf_map_error(what);
    for (uint64_t v : per_cpu) out[i] += v;
  }
  return out;
}

}  // namespace ztai
