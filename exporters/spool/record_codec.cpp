#include "exporters/spool/record_codec.h"

#include <cstring>

namespace ztai {
namespace {

constexpr uint8_t kVersion = 1;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

void put_str(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <typename T>
  bool get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_str(std::string& s) {
    uint32_t n;
    if (!get(n) || b_.size() - pos_ < n) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

enum class Tag : uint8_t { kNone, kInt, kUInt, kBool, kString, kList };

}  // namespace

void encode_record(const Record& r, std::string& out) {
  put<uint8_t>(out, kVersion);
  put<uint8_t>(out, static_cast<uint8_t>(r.kind));
  put<uint64_t>(out, r.time_unix_ns);
  put<uint8_t>(out, static_cast<uint8_t>(r.priority));
  for (const std::string* s : {&r.rule, &r.source, &r.hostname, &r.output}) put_str(out, *s);
  put<uint32_t>(out, static_cast<uint32_t>(r.tags.size()));
  for (const std::string& t : r.tags) put_str(out, t);
  put<uint32_t>(out, static_cast<uint32_t>(r.fields.size()));
  for (const auto& [name, value] : r.fields) {
    put_str(out, name);
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            put(out, Tag::kNone);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            put(out, Tag::kInt);
            put(out, x);
          } else if constexpr (std::is_same_v<T, uint64_t>) {
            put(out, Tag::kUInt);
            put(out, x);
          } else if constexpr (std::is_same_v<T, bool>) {
            put(out, Tag::kBool);
            put<uint8_t>(out, x ? 1 : 0);
          } else if constexpr (std::is_same_v<T, std::string>) {
            put(out, Tag::kString);
            put_str(out, x);
          } else {
            put(out, Tag::kList);
            put<uint32_t>(out, static_cast<uint32_t>(x.size()));
            for (const std::string& s : x) put_str(out, s);
          }
        },
        value);
  }
}

Result<Record> decode_record(std::string_view bytes) {
  auto corrupt = [](std::string_view what) {
    return make_error(ErrorCode::kInvalidArgument, "corrupt spool record: {}", what);
  };
  Reader in(bytes);
  Record r;
  uint8_t version, kind, priority;
  if (!in.get(version) || version != kVersion) return corrupt("unknown version");
  if (!in.get(kind) || kind > static_cast<uint8_t>(RecordKind::kEvent)) return corrupt("kind");
  if (!in.get(r.time_unix_ns) || !in.get(priority) || priority > static_cast<uint8_t>(Priority::kDebug)) {
    return corrupt("header");
  }
  r.kind = static_cast<RecordKind>(kind);
  r.priority = static_cast<Priority>(priority);
  for (std::string* s : {&r.rule, &r.source, &r.hostname, &r.output}) {
    if (!in.get_str(*s)) return corrupt("strings");
  }
  uint32_t n;
  if (!in.get(n) || n > bytes.size()) return corrupt("tags");
  r.tags.resize(n);
  for (std::string& t : r.tags) {
    if (!in.get_str(t)) return corrupt("tags");
  }
  if (!in.get(n) || n > bytes.size()) return corrupt("fields");
  r.fields.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string name;
    Tag tag;
    if (!in.get_str(name) || !in.get(tag)) return corrupt("field");
    FieldValue v;
    bool ok = true;
    switch (tag) {
      case Tag::kNone: break;
      case Tag::kInt: { int64_t x = 0; ok = in.get(x); v = x; break; }
      case Tag::kUInt: { uint64_t x = 0; ok = in.get(x); v = x; break; }
      case Tag::kBool: { uint8_t x = 0; ok = in.get(x); v = x != 0; break; }
      case Tag::kString: { std::string x; ok = in.get_str(x); v = std::move(x); break; }
      case Tag::kList: {
        uint32_t m;
        ok = in.get(m) && m <= bytes.size();
        std::vector<std::string> list(ok ? m : 0);
        for (std::string& s : list) ok = ok && in.get_str(s);
        v = std::move(list);
        break;
      }
      default: ok = false;
    }
    if (!ok) return corrupt("field value");
    r.fields.emplace_back(std::move(name), std::move(v));
  }
  if (!in.done()) return corrupt("trailing bytes");
  return r;
}

}  // namespace ztai
