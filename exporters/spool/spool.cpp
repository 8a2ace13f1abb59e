#include "exporters/spool/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "exporters/spool/record_codec.h"

namespace ztai {
namespace {

constexpr size_t kHeader = 8;  // u32 length, u32 crc32 of the payload
constexpr std::string_view kSuffix = ".seg";

Error io_error(std::string_view what, const std::string& path) {
  return make_error(ErrorCode::kIo, "spool: {} {}: {}", what, path, strerror(errno));
}

uint32_t crc_of(std::string_view s) {
  return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(SpoolOptions options) {
  if (options.segment_bytes == 0) {
    options.segment_bytes = std::min<uint64_t>(options.max_bytes, std::max<uint64_t>(options.max_bytes / 16, 64 << 10));
  }
  std::unique_ptr<Spool> s(new Spool(std::move(options)));
  if (Status st = s->load(); !st) return st.error();
  return s;
}

Spool::~Spool() {
  if (write_fd_ >= 0) close(write_fd_);
  if (read_fd_ >= 0) close(read_fd_);
}

std::string Spool::segment_path(uint64_t id) const {
  return fmt::format("{}/{:016}{}", options_.dir, id, kSuffix);
}

Status Spool::load() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "spool: cannot create {}: {}", options_.dir, ec.message());
  std::vector<uint64_t> ids;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    std::string name = entry.path().filename();
    if (name.size() != 16 + kSuffix.size() || !name.ends_with(kSuffix)) continue;
    ids.push_back(std::stoull(name.substr(0, 16)));
  }
  if (ec) return make_error(ErrorCode::kIo, "spool: cannot list {}: {}", options_.dir, ec.message());
  std::sort(ids.begin(), ids.end());

  std::ifstream cursor(options_.dir + "/cursor");
  if (!(cursor >> cursor_seg_ >> cursor_off_) || ids.empty() || cursor_seg_ < ids.front()) {
    cursor_seg_ = ids.empty() ? 0 : ids.front();
    cursor_off_ = 0;
  }
  for (uint64_t id : ids) {
    if (id < cursor_seg_) {  // delivered before the last stop
      unlink(segment_path(id).c_str());
      continue;
    }
    struct stat st {};
    if (stat(segment_path(id).c_str(), &st) != 0) return io_error("cannot stat", segment_path(id));
    Segment seg{id, static_cast<uint64_t>(st.st_size), 0};
    auto n = scan(seg, id == cursor_seg_ ? cursor_off_ : 0);
    if (!n) return n.error();
    seg.records = *n;
    segments_.push_back(seg);
    total_bytes_ += seg.bytes;
    records_ += seg.records;
  }
  if (segments_.empty() || segments_.front().id != cursor_seg_) cursor_off_ = 0;
  if (!segments_.empty()) cursor_seg_ = segments_.front().id;
  read_seg_ = cursor_seg_;
  read_off_ = cursor_off_;
  // Appends always go to a fresh segment: a segment torn by a crash is never extended.
  return start_segment(segments_.empty() ? 1 : segments_.back().id + 1);
}

Result<uint64_t> Spool::scan(Segment& seg, uint64_t from) {
  uint64_t off = from, n = 0;
  std::string payload;
  while (true) {
    auto more = read_entry(seg, off, payload);
    if (!more) return more.error();
    if (!*more) break;
    ++n;
  }
  if (off < seg.bytes) {  // a torn or corrupted tail: what follows cannot be framed
    ++corrupt_;
    seg.bytes = off;
  }
  return n;
}

Result<bool> Spool::read_entry(const Segment& seg, uint64_t& offset, std::string& payload) {
  if (offset + kHeader > seg.bytes) return false;
  // One descriptor for the segment being read, kept across calls: not an open per entry.
  if (read_fd_seg_ != seg.id || read_fd_ < 0) {
    if (read_fd_ >= 0) close(read_fd_);
    std::string path = segment_path(seg.id);
    read_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (read_fd_ < 0) return io_error("cannot open", path);
    read_fd_seg_ = seg.id;
  }
  uint32_t header[2];
  bool ok = pread(read_fd_, header, kHeader, static_cast<off_t>(offset)) == static_cast<ssize_t>(kHeader) &&
            offset + kHeader + header[0] <= seg.bytes;
  if (ok) {
    payload.resize(header[0]);
    ok = pread(read_fd_, payload.data(), header[0], static_cast<off_t>(offset + kHeader)) ==
             static_cast<ssize_t>(header[0]) &&
         crc_of(payload) == header[1];
  }
  if (!ok) return false;
  offset += kHeader + header[0];
  return true;
}

bool Spool::remove_segment_file(uint64_t id) {
  if (read_fd_ >= 0 && read_fd_seg_ == id) {  // a deleted file's space is freed only once closed
    close(read_fd_);
    read_fd_ = -1;
  }
  return unlink(segment_path(id).c_str()) == 0;
}

Status Spool::start_segment(uint64_t id) {
  if (write_fd_ >= 0) close(write_fd_);
  std::string path = segment_path(id);
  write_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (write_fd_ < 0) return io_error("cannot create", path);
  segments_.push_back({id, 0, 0});
  if (segments_.size() == 1) {
    read_seg_ = cursor_seg_ = id;
    read_off_ = cursor_off_ = 0;
  }
  return {};
}

Status Spool::append(const Record& record) {
  buf_.assign(kHeader, '\0');
  encode_record(record, buf_);
  const uint64_t entry = buf_.size();
  if (entry > options_.max_bytes) {
    ++dropped_;
    return make_error(ErrorCode::kInvalidArgument, "spool: a record of {} bytes exceeds max_bytes {}", entry,
                      options_.max_bytes);
  }
  uint32_t header[2] = {static_cast<uint32_t>(entry - kHeader),
                        crc_of(std::string_view(buf_).substr(kHeader))};
  memcpy(buf_.data(), header, kHeader);
  if (segments_.back().bytes > 0 &&
      (segments_.back().bytes + entry > options_.segment_bytes || total_bytes_ + entry > options_.max_bytes)) {
    if (Status s = start_segment(segments_.back().id + 1); !s) return s;
  }
  while (total_bytes_ + entry > options_.max_bytes && segments_.size() > 1) {
    if (Status s = drop_oldest(); !s) return s;
  }
  Segment& seg = segments_.back();
  if (!write_all(write_fd_, buf_.data(), buf_.size())) {
    Error e = io_error("cannot write", segment_path(seg.id));
    // Cut a partial entry off so the next append starts at a frame boundary.
    if (ftruncate(write_fd_, static_cast<off_t>(seg.bytes)) != 0 || lseek(write_fd_, 0, SEEK_END) < 0) {
      if (Status s = start_segment(seg.id + 1); !s) return s.error().context(e.message());
    }
    return e;
  }
  seg.bytes += entry;
  ++seg.records;
  total_bytes_ += entry;
  ++records_;
  return {};
}

Status Spool::sync() {
  if (options_.fsync && write_fd_ >= 0 && fdatasync(write_fd_) != 0) {
    return io_error("cannot sync", segment_path(segments_.back().id));
  }
  return {};
}

Status Spool::drop_oldest() {
  Segment f = segments_.front();
  segments_.pop_front();
  // Records read but not yet committed are in flight and still get delivered: not dropped.
  uint64_t in_flight = f.id < read_seg_ ? f.records : std::min(read_uncommitted_, f.records);
  dropped_ += f.records - in_flight;
  records_ -= f.records;
  total_bytes_ -= f.bytes;
  read_uncommitted_ -= std::min(read_uncommitted_, in_flight);
  if (read_seg_ <= f.id) {
    read_seg_ = segments_.front().id;
    read_off_ = 0;
  }
  if (cursor_seg_ <= f.id) {
    cursor_seg_ = segments_.front().id;
    cursor_off_ = 0;
    if (Status s = write_cursor(); !s) return s;
  }
  if (!remove_segment_file(f.id)) return io_error("cannot delete", segment_path(f.id));
  return {};
}

Result<std::vector<Record>> Spool::read(size_t max) {
  std::vector<Record> out;
  std::string payload;
  while (out.size() < max) {
    auto seg = std::find_if(segments_.begin(), segments_.end(), [&](const Segment& s) { return s.id == read_seg_; });
    if (seg == segments_.end()) break;
    auto more = read_entry(*seg, read_off_, payload);
    if (!more) return more.error();
    if (!*more) {
      if (std::next(seg) == segments_.end()) break;  // caught up with the writer
      read_seg_ = std::next(seg)->id;
      read_off_ = 0;
      continue;
    }
    ++read_uncommitted_;
    auto r = decode_record(payload);
    if (!r) {
      ++corrupt_;
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

Status Spool::commit() {
  // Every undelivered record before the read position is now delivered.
  uint64_t left = read_uncommitted_;
  while (!segments_.empty() && left > 0) {
    Segment& s = segments_.front();
    uint64_t n = std::min(left, s.records);
    s.records -= n;
    records_ -= n;
    left -= n;
    if (s.records == 0 && s.id < read_seg_) {
      total_bytes_ -= s.bytes;
      remove_segment_file(s.id);
      segments_.pop_front();
    } else if (n == 0) {
      break;
    }
  }
  while (segments_.size() > 1 && segments_.front().id < read_seg_ && segments_.front().records == 0) {
    total_bytes_ -= segments_.front().bytes;
    remove_segment_file(segments_.front().id);
    segments_.pop_front();
  }
  read_uncommitted_ = 0;
  cursor_seg_ = read_seg_;
  cursor_off_ = read_off_;
  return write_cursor();
}

Status Spool::write_cursor() {
  std::string tmp = options_.dir + "/cursor.tmp";
  std::string text = fmt::format("{} {}\n", cursor_seg_, cursor_off_);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  bool ok = write_all(fd, text.data(), text.size()) && (!options_.fsync || fdatasync(fd) == 0);
  close(fd);
  if (!ok || rename(tmp.c_str(), (options_.dir + "/cursor").c_str()) != 0) return io_error("cannot write", tmp);
  return {};
}

uint64_t Spool::take_dropped() { return std::exchange(dropped_, 0); }
uint64_t Spool::take_corrupt() { return std::exchange(corrupt_, 0); }

}  // namespace ztai
