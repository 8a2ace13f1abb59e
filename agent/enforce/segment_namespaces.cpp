#include "agent/enforce/segment_namespaces.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "agent/common/log.h"
#include "agent/kernel/bpf_iterator.h"
#include "agent/kernel/map_keys.h"

namespace ztai::enforce {

SegmentMapFds segment_map_fds(const BpfPrograms& programs) {
  return {programs.map_fd("ztai_local_addrs"), programs.map_fd("ztai_netns_known"),
          programs.map_fd("ztai_netns_pending"), programs.map_fd("ztai_segment_counters")};
}

SegmentSeeders segment_seeders(const BpfPrograms& programs) {
  if (!programs.family_loaded("segment_seed")) return {};
  return {programs.program_fd("seg_seed_tcp"), programs.program_fd("seg_seed_udp")};
}

size_t SegmentNamespaces::learn_pending() {
  uint64_t netns = 0;
  if (bpf_map_get_next_key(fds_.netns_pending, nullptr, &netns) != 0) return 0;
  auto pending = bpf_map_keys<uint64_t>(fds_.netns_pending, "listing ztai_netns_pending");
  if (!pending) return 0;
  size_t learnt = 0;
  for (uint64_t cookie : *pending) {
    ztai_netns_binder binder{};
    if (bpf_map_lookup_elem(fds_.netns_pending, &cookie, &binder) == 0) {
      // The binding thread's namespace (a thread can have left its process's). When it is gone or
      // has moved on, the scan finds the namespace through any process still in it.
      auto r = read(fmt::format("{}/{}/task/{}/ns/net", proc_, binder.tgid, binder.tid));
      if (r && record(*r)) learnt++;
    }
    bpf_map_delete_elem(fds_.netns_pending, &cookie);
  }
  return learnt;
}

Result<NamespaceScan> SegmentNamespaces::scan() {
  std::map<uint64_t, std::string> paths;  // inode -> a process's ns/net
  if (DIR* d = opendir(proc_.c_str())) {
    while (dirent* e = readdir(d)) {
      if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
      std::string path = fmt::format("{}/{}/ns/net", proc_, e->d_name);
      struct stat st {};
      if (stat(path.c_str(), &st) == 0) paths.emplace(st.st_ino, std::move(path));
    }
    closedir(d);
  } else {
    return make_error(ErrorCode::kIo, "listing {}: {}", proc_, strerror(errno));
  }
  NamespaceScan scan;
  std::set<uint64_t> alive;
  for (const auto& [inode, path] : paths) {
    auto r = read(path);
    if (r) {
      if (Status st = record(*r); !st) return st.error();
      scan.read++;
      alive.insert(r->netns.cookie);
      continue;
    }
    // The process may have exited since the listing; a namespace read before stays as it was.
    auto known = cookie_of_inode_.find(inode);
    if (known != cookie_of_inode_.end()) alive.insert(known->second);
    if (!scan.failed++) scan.first_error = r.error().message();
  }
  for (auto it = cookie_of_inode_.begin(); it != cookie_of_inode_.end();) {
    if (alive.count(it->second)) {
      ++it;
      continue;
    }
    if (Status st = forget(it->second); !st) return st.error();
    scan.forgotten++;
    it = cookie_of_inode_.erase(it);
  }
  return scan;
}

Result<SegmentNamespaces::Read> SegmentNamespaces::read(const std::string& ns_path) {
  struct stat st {};
  if (stat(ns_path.c_str(), &st) != 0) return make_error(ErrorCode::kNotFound, "{}: {}", ns_path, strerror(errno));
  auto addresses = read_netns_addresses(ns_path);
  if (!addresses) return addresses.error();
  return Read{ns_path, st.st_ino, std::move(*addresses)};
}

Status SegmentNamespaces::record(const Read& r) {
  bool first = !book_.knows(r.netns.cookie);
  if (Status s = write(book_.set(r.netns.cookie, r.netns.addresses)); !s) return s;
  if (first) seed(r.path);
  uint32_t one = 1;
  if (bpf_map_update_elem(fds_.netns_known, &r.netns.cookie, &one, BPF_ANY) != 0) {
    return bpf_map_error("writing ztai_netns_known");
  }
  cookie_of_inode_[r.inode] = r.netns.cookie;
  return {};
}

void SegmentNamespaces::seed(const std::string& ns_path) {
  if (!seeders_.valid()) return;
  size_t bytes = 0;
  Status st = run_in_network_namespace(ns_path, [&]() -> Status {
    for (auto [fd, what] : {std::pair{seeders_.tcp, "the TCP listener iterator"}, std::pair{seeders_.udp, "the UDP socket iterator"}}) {
      auto n = run_bpf_iterator(fd, what);
      if (!n) return n.error();
      bytes += *n;
    }
    return {};
  });
  seeded_ += bytes / sizeof(uint64_t);
  if (!st) log::warn("segmentation: listeners older than the agent in {} are not listed: {}", ns_path, st.error().message());
}

Status SegmentNamespaces::write(const std::vector<LocalAddressBook::Write>& writes) {
  for (const LocalAddressBook::Write& w : writes) {
    std::array<uint8_t, 16> key = w.address.mapped();
    if (w.value) {
      if (bpf_map_update_elem(fds_.local_addrs, key.data(), &*w.value, BPF_ANY) != 0) {
        return bpf_map_error("writing ztai_local_addrs");
      }
    } else if (bpf_map_delete_elem(fds_.local_addrs, key.data()) != 0 && errno != ENOENT) {
      return bpf_map_error("writing ztai_local_addrs");
    }
  }
  return {};
}

Status SegmentNamespaces::forget(uint64_t netns) {
  if (bpf_map_delete_elem(fds_.netns_known, &netns) != 0 && errno != ENOENT) {
    return bpf_map_error("writing ztai_netns_known");
  }
  return write(book_.remove(netns));
}

Result<SegmentNamespaces::Counters> SegmentNamespaces::counters() const {
  return bpf_percpu_counters<ZTAI_SEGMENT_COUNTERS>(fds_.counters, "reading ztai_segment_counters");
}

}  // namespace ztai::enforce
