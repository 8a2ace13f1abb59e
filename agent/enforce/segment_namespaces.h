// Keeps the kernel's list of this node's addresses (ztai_local_addrs) current, so segmentation
// finds the listener of a connect to another network namespace (pod to pod, container to
// container): a namespace a bind was noted in (ztai_netns_pending) is read as soon as the reader
// loop asks, and every namespace a process of the node is in is read again at each scan (addresses
// change); a namespace no process is in any more is forgotten.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "agent/common/result.h"
#include "agent/enforce/local_address_book.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/network_namespace.h"
#include "bpf/abi/policy.h"

namespace ztai::enforce {

struct SegmentMapFds {
  int local_addrs = -1;    // ztai_local_addrs
  int netns_known = -1;    // ztai_netns_known
  int netns_pending = -1;  // ztai_netns_pending
  int counters = -1;       // ztai_segment_counters
  bool valid() const { return local_addrs >= 0 && netns_known >= 0 && netns_pending >= 0 && counters >= 0; }
};

SegmentMapFds segment_map_fds(const BpfPrograms& programs);

// The iterators that list listeners older than the agent (segment_seed family); -1 when missing.
struct SegmentSeeders {
  int tcp = -1;
  int udp = -1;
  bool valid() const { return tcp >= 0 && udp >= 0; }
};
SegmentSeeders segment_seeders(const BpfPrograms& programs);

struct NamespaceScan {
  size_t read = 0;       // namespaces read
  size_t forgotten = 0;  // namespaces gone since the last scan
  size_t failed = 0;     // namespaces that could not be read (their addresses stay as last read)
  std::string first_error;
};

class SegmentNamespaces {
 public:
  // With seeders, a namespace read for the first time has its existing listeners listed too.
  explicit SegmentNamespaces(SegmentMapFds fds, SegmentSeeders seeders = {}, std::string proc_root = "/proc")
      : fds_(fds), seeders_(seeders), proc_(std::move(proc_root)) {}

  // Reads the namespaces binds were noted in since the last call; how many. One map call when
  // there are none, so the reader loop calls it every round.
  size_t learn_pending();
  // Reads the namespace of every process; fails only when the kernel maps cannot be written.
  Result<NamespaceScan> scan();

  using Counters = std::array<uint64_t, ZTAI_SEGMENT_COUNTERS>;
  Result<Counters> counters() const;  // enum ztai_segment_counter, summed over CPUs
  size_t namespaces() const { return cookie_of_inode_.size(); }
  size_t addresses() const { return book_.addresses(); }
  size_t seeded() const { return seeded_; }  // listeners listed by the seeders so far

 private:
  struct Read {
    std::string path;
    uint64_t inode = 0;
    NetnsAddresses netns;
  };
  static Result<Read> read(const std::string& ns_path);
  // Writes what changed in the namespace's addresses and marks it known to the kernel; seeds a
  // namespace seen for the first time.
  Status record(const Read& r);
  void seed(const std::string& ns_path);
  Status write(const std::vector<LocalAddressBook::Write>& writes);
  Status forget(uint64_t netns);

  SegmentMapFds fds_;
  SegmentSeeders seeders_;
  std::string proc_;
  size_t seeded_ = 0;
  LocalAddressBook book_;
  std::map<uint64_t, uint64_t> cookie_of_inode_;  // namespace inode -> cookie, of those read
};

}  // namespace ztai::enforce
