#include "agent/protocols/dns/dns_message.h"

#include <fmt/format.h>

namespace ztai::dns {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr size_t kMaxNameBytes = 255;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : b_(bytes) {}

  size_t pos() const { return pos_; }
  size_t size() const { return b_.size(); }

  Status need(size_t n, std::string_view what) const {
    if (b_.size() - pos_ < n) {
      return make_error(ErrorCode::kInvalidArgument, "DNS message truncated: {} at offset {} needs {} bytes, {} left",
                        what, pos_, n, b_.size() - pos_);
    }
    return {};
  }
  uint16_t u16() {
    uint16_t v = static_cast<uint16_t>(b_[pos_] << 8 | b_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    uint32_t v = uint32_t{b_[pos_]} << 24 | uint32_t{b_[pos_ + 1]} << 16 | uint32_t{b_[pos_ + 2]} << 8 | b_[pos_ + 3];
    pos_ += 4;
    return v;
  }
  void skip(size_t n) { pos_ += n; }
  std::span<const uint8_t> bytes() const { return b_; }

  // A possibly compressed name starting here; leaves pos after the name as written here.
  Result<std::string> name() {
    std::string out;
    size_t p = pos_;
    size_t limit = pos_;  // a pointer must point below where the current run of labels began
    bool jumped = false;
    for (;;) {
      if (p >= b_.size()) {
        return make_error(ErrorCode::kInvalidArgument, "DNS message truncated: name at offset {} runs past the end",
                          pos_);
      }
      uint8_t len = b_[p];
      if ((len & 0xc0) == 0xc0) {
        if (p + 1 >= b_.size()) {
          return make_error(ErrorCode::kInvalidArgument, "DNS message truncated: compression pointer at offset {}", p);
        }
        size_t target = size_t{len & 0x3fu} << 8 | b_[p + 1];
        if (target >= limit) {
          return make_error(ErrorCode::kInvalidArgument,
                            "DNS compression pointer at offset {} to {} does not point backwards (loop)", p, target);
        }
        if (!jumped) pos_ = p + 2;
        jumped = true;
        limit = target;
        p = target;
        continue;
      }
      if (len & 0xc0) {
        return make_error(ErrorCode::kInvalidArgument, "DNS label type 0x{:02x} at offset {} is not supported", len & 0xc0,
                          p);
      }
      if (len == 0) {
        if (!jumped) pos_ = p + 1;
        return out.empty() ? std::string(".") : out;
      }
      if (p + 1 + len > b_.size()) {
        return make_error(ErrorCode::kInvalidArgument, "DNS message truncated: label at offset {} of {} bytes", p, len);
      }
      if (out.size() + len + 1 > kMaxNameBytes) {
        return make_error(ErrorCode::kInvalidArgument, "DNS name at offset {} is longer than {} bytes", pos_,
                          kMaxNameBytes);
      }
      if (!out.empty()) out += '.';
      for (size_t i = 0; i < len; ++i) {
        char c = static_cast<char>(b_[p + 1 + i]);
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        // Names are bytes; keep them printable and unambiguous for rules and outputs.
        if (c == '.' || c == '\\' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
          out += fmt::format("\\{:03d}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
      }
      p += 1 + len;
    }
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

Result<ResourceRecord> read_record(Reader& r) {
  ResourceRecord rr;
  auto name = r.name();
  if (!name) return name.error();
  rr.name = std::move(*name);
  if (Status s = r.need(10, "record header"); !s) return s.error();
  rr.type = r.u16();
  rr.rclass = r.u16();
  rr.ttl = r.u32();
  uint16_t rdlength = r.u16();
  if (Status s = r.need(rdlength, "record data"); !s) return s.error();
  size_t end = r.pos() + rdlength;
  const uint8_t* rdata = r.bytes().data() + r.pos();
  if (rr.type == kTypeA && rdlength == 4) {
    rr.address = IpAddress::v4(rdata);
  } else if (rr.type == kTypeAaaa && rdlength == 16) {
    rr.address = IpAddress::v6(rdata);
  } else if (rr.type == kTypeCname || rr.type == 2 /* NS */ || rr.type == 12 /* PTR */) {
    auto target = r.name();
    if (!target) return target.error();
    if (r.pos() > end) {
      return make_error(ErrorCode::kInvalidArgument, "DNS {} record data overruns its length {}", type_name(rr.type),
                        rdlength);
    }
    rr.target = std::move(*target);
  } else if (rr.type == kTypeA || rr.type == kTypeAaaa) {
    return make_error(ErrorCode::kInvalidArgument, "DNS {} record with {} bytes of data", type_name(rr.type), rdlength);
  }
  r.skip(end - r.pos());
  return rr;
}

}  // namespace

std::string ResourceRecord::value() const {
  if (address) return address->to_string();
  if (!target.empty()) return target;
  return type_name(type);
}

Result<Message> parse_message(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  if (Status s = r.need(kHeaderBytes, "header"); !s) return s.error();
  Message m;
  m.id = r.u16();
  uint16_t flags = r.u16();
  m.is_response = flags & 0x8000;
  m.opcode = (flags >> 11) & 0xf;
  m.truncated = flags & 0x0200;
  m.rcode = flags & 0xf;
  uint16_t qdcount = r.u16();
  uint16_t ancount = r.u16();
  r.skip(4);  // authority and additional sections are not used
  for (size_t i = 0; i < qdcount && i < kMaxQuestions; ++i) {
    Question q;
    auto name = r.name();
    if (!name) return name.error();
    q.name = std::move(*name);
    if (Status s = r.need(4, "question type and class"); !s) return s.error();
    q.type = r.u16();
    q.qclass = r.u16();
    m.questions.push_back(std::move(q));
  }
  if (qdcount > kMaxQuestions) {
    return make_error(ErrorCode::kInvalidArgument, "DNS message claims {} questions (more than {})", qdcount,
                      kMaxQuestions);
  }
  for (size_t i = 0; i < ancount && i < kMaxAnswers; ++i) {
    auto rr = read_record(r);
    if (!rr) return rr.error();
    m.answers.push_back(std::move(*rr));
  }
  return m;
}

std::string rcode_name(uint8_t rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                           "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  return fmt::format("RCODE{}", rcode);
}

std::string type_name(uint16_t type) {
  switch (type) {
    case kTypeA: return "A";
    case 2: return "NS";
    case kTypeCname: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case kTypeAaaa: return "AAAA";
    case 33: return "SRV";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 255: return "ANY";
  }
  return fmt::format("TYPE{}", type);
}

}  // namespace ztai::dns
