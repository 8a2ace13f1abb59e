// The durable spool of one output: records the output has not yet delivered, on disk, so they
// survive a dead receiver and an agent restart. Append-only segment files of
// [length][crc32][encoded record] entries, plus a cursor file naming the first undelivered
// entry. It is bounded: above max_bytes the oldest segment is deleted and its undelivered
// records are counted as dropped. A torn or corrupted entry (a crash mid-write) ends its
// segment and is counted.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/result.h"
#include "exporters/record.h"

namespace ztai {

struct SpoolOptions {
  std::string dir;
  uint64_t max_bytes = 256u << 20;
  uint64_t segment_bytes = 0;  // 0: max_bytes / 16, at least 64 KiB
  bool fsync = false;          // fdatasync after each group of appends (power loss, not only crashes)
};

class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(SpoolOptions options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  Status append(const Record& record);
  // Makes appends durable when the spool was opened with fsync.
  Status sync();
  // Up to max records after those already read (not yet committed).
  Result<std::vector<Record>> read(size_t max);
  // Everything read so far is delivered: the cursor moves past it and spent segments go.
  Status commit();

  uint64_t bytes() const { return total_bytes_; }
  uint64_t records() const { return records_; }  // undelivered, read or not
  // Records lost since the last call: dropped for the size cap or found corrupted.
  uint64_t take_dropped();
  uint64_t take_corrupt();

 private:
  struct Segment {
    uint64_t id;
    uint64_t bytes;
    uint64_t records;
  };
  explicit Spool(SpoolOptions options) : options_(std::move(options)) {}
  Status load();
  std::string segment_path(uint64_t id) const;
  Status start_segment(uint64_t id);
  Status drop_oldest();
  bool remove_segment_file(uint64_t id);
  Status write_cursor();
  // Reads the entry at (segment, offset); false at the end of the segment's valid entries.
  Result<bool> read_entry(const Segment& seg, uint64_t& offset, std::string& payload);
  Result<uint64_t> scan(Segment& seg, uint64_t from);

  SpoolOptions options_;
  std::deque<Segment> segments_;
  int write_fd_ = -1;
  int read_fd_ = -1;  // open on segment read_fd_seg_
  uint64_t read_fd_seg_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t records_ = 0;
  // Durable cursor and the read position ahead of it.
  uint64_t cursor_seg_ = 0, cursor_off_ = 0;
  uint64_t read_seg_ = 0, read_off_ = 0;
  uint64_t read_uncommitted_ = 0;
  uint64_t dropped_ = 0, corrupt_ = 0;
  std::string buf_;
};

}  // namespace ztai
