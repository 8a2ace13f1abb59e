#include "agent/events/file_decoder.h"

#include <cstring>
#include <vector>

#include "bpf/abi/events.h"

namespace ztai {

std::string normalize_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::string(path);  // memfd names, unreadable paths
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (std::string_view p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

Result<Event> decode_file(const EventHeader& hdr, std::span<const std::byte> record) {
  ztai_file_event raw;
  if (record.size() < sizeof(raw)) {
    return make_error(ErrorCode::kInvalidArgument, "file record of {} bytes is shorter than {}", record.size(),
                      sizeof(raw));
  }
  std::memcpy(&raw, record.data(), sizeof(raw));
  if (raw.syscall == 0 || raw.syscall >= ZTAI_FILE_SYSCALL_MAX) {
    return make_error(ErrorCode::kInvalidArgument, "file record has unknown syscall {}", raw.syscall);
  }
  size_t data_len = record.size() - sizeof(raw);
  if (size_t{raw.path_len} + raw.path2_len != data_len) {
    return make_error(ErrorCode::kInvalidArgument, "file record: path {} + path2 {} bytes != data {} bytes",
                      raw.path_len, raw.path2_len, data_len);
  }
  auto text = [&](size_t at, size_t len) {
    const char* p = reinterpret_cast<const char*>(record.data()) + sizeof(raw) + at;
    return std::string_view(p, strnlen(p, len));
  };
  FilePayload p;
  p.res = raw.res;
  p.flags = raw.flags;
  p.mode = raw.mode;
  p.uid = raw.uid;
  p.gid = raw.gid;
  p.path = normalize_path(text(0, raw.path_len));
  if (raw.path2_len) p.path2 = normalize_path(text(raw.path_len, raw.path2_len));
  p.path_resolved = raw.path_flags & ZTAI_PATH_RESOLVED;
  p.path_truncated = (raw.path_flags | raw.path2_flags) & ZTAI_PATH_TRUNCATED;
  p.path_unreadable = (raw.path_flags | raw.path2_flags) & ZTAI_PATH_UNREADABLE;
  EventHeader h = hdr;
  h.type = static_cast<EventType>(100 + raw.syscall);
  return Event{h, std::move(p)};
}

}  // namespace ztai
