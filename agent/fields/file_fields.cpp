#include "agent/fields/file_fields.h"

#include <fcntl.h>

#include <stdexcept>

namespace ztai {
namespace {

template <typename Get>
FieldValue of_file(const EventContext& c, Get get) {
  const FilePayload* f = c.event.as<FilePayload>();
  return f ? FieldValue(get(*f)) : FieldValue();
}

bool is_open(const EventContext& c) {
  switch (c.event.hdr.type) {
    case EventType::kOpen:
    case EventType::kOpenat:
    case EventType::kOpenat2:
    case EventType::kCreat: return true;
    default: return false;
  }
}

void add(FieldRegistry& r, FieldInfo info) {
  if (Status s = r.add(std::move(info)); !s) throw std::logic_error(s.error().message());
}

}  // namespace

std::string open_flags_string(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},     {O_TRUNC, "O_TRUNC"},
      {O_APPEND, "O_APPEND"},       {O_NONBLOCK, "O_NONBLOCK"}, {O_DSYNC, "O_DSYNC"},       {O_DIRECT, "O_DIRECT"},
      {O_LARGEFILE, "O_LARGEFILE"}, {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
      {O_CLOEXEC, "O_CLOEXEC"},     {O_PATH, "O_PATH"},         {O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE"}};
  std::string out;
  switch (flags & O_ACCMODE) {
    case O_WRONLY: out = "O_WRONLY"; break;
    case O_RDWR: out = "O_RDWR"; break;
    default: out = "O_RDONLY"; break;
  }
  for (auto [bit, name] : kFlags) {
    if (flags & bit) {
      out += '|';
      out += name;
    }
  }
  return out;
}

void add_file_fields(FieldRegistry& r) {
  using T = FieldType;
  add(r, {"fd.name", T::kString, "File path, absolute (relative paths joined to the cwd or dirfd); memfd:NAME for memfds",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return f.path; });
          }});
  add(r, {"fd.directory", T::kString, "Directory of fd.name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) {
              size_t slash = f.path.rfind('/');
              return slash == std::string::npos ? std::string() : slash == 0 ? std::string("/") : f.path.substr(0, slash);
            });
          }});
  add(r, {"fd.filename", T::kString, "Last component of fd.name",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) {
              size_t slash = f.path.rfind('/');
              return slash == std::string::npos ? f.path : f.path.substr(slash + 1);
            });
          }});
  add(r, {"fd.name_resolved", T::kBool, "The path was relative and ztai joined it to the cwd or dirfd",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return f.path_resolved; });
          }});
  add(r, {"evt.arg.newpath", T::kString, "rename*: the new path",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const FilePayload* f = c.event.as<FilePayload>();
            return f && !f->path2.empty() ? FieldValue(f->path2) : FieldValue();
          }});
  add(r, {"evt.arg.flags", T::kString, "open*: flags as names (O_RDONLY|O_CLOEXEC); other calls: the number",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const FilePayload* f = c.event.as<FilePayload>();
            if (!f) return {};
            return is_open(c) ? open_flags_string(f->flags) : std::to_string(f->flags);
          }});
  add(r, {"evt.rawarg.flags", T::kUInt, "File syscall flags as a number",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return uint64_t{f.flags}; });
          }});
  add(r, {"evt.arg.mode", T::kUInt, "open*/chmod*: the mode",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return uint64_t{f.mode}; });
          }});
  add(r, {"evt.arg.uid", T::kUInt, "chown*: the new owner",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return uint64_t{f.uid}; });
          }});
  add(r, {"evt.arg.gid", T::kUInt, "chown*: the new group",
          [](const EventContext& c, std::string_view) -> FieldValue {
            return of_file(c, [](const FilePayload& f) { return uint64_t{f.gid}; });
          }});
  add(r, {"evt.is_open_read", T::kBool, "open*: opened for reading",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const FilePayload* f = c.event.as<FilePayload>();
            if (!f || !is_open(c)) return {};
            return (f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_ACCMODE) == O_RDWR;
          }});
  add(r, {"evt.is_open_write", T::kBool, "open*: opened for writing (or created, or truncated)",
          [](const EventContext& c, std::string_view) -> FieldValue {
            const FilePayload* f = c.event.as<FilePayload>();
            if (!f || !is_open(c)) return {};
            return (f->flags & O_ACCMODE) != O_RDONLY || (f->flags & (O_CREAT | O_TRUNC)) != 0;
          }});
}

}  // namespace ztai
