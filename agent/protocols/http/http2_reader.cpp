#include "agent/protocols/http/http2_reader.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace ztai::http {
namespace {

constexpr size_t kFrameHeader = 9;
enum : uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPushPromise = 0x5,
  kContinuation = 0x9,
};
enum : uint8_t { kEndStream = 0x1, kEndHeaders = 0x4, kPadded = 0x8, kPriority = 0x20 };
constexpr uint16_t kSettingsHeaderTableSize = 0x1;

uint32_t be32(const char* p) {
  auto b = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// Removes the padding of a PADDED frame; false when the pad length exceeds the payload.
bool unpad(uint8_t flags, std::string_view& payload) {
  if (!(flags & kPadded)) return true;
  if (payload.empty()) return false;
  size_t pad = static_cast<uint8_t>(payload.front());
  payload.remove_prefix(1);
  if (pad > payload.size()) return false;
  payload.remove_suffix(pad);
  return true;
}

}  // namespace

Http2Reader::Http2Reader(Http2Sink& sink, bool expect_preface, size_t max_head_bytes, size_t max_frame_bytes)
    : sink_(sink),
      max_head_(max_head_bytes),
      max_frame_(max_frame_bytes),
      preface_left_(expect_preface ? kHttp2Preface.size() : 0) {
  if (nghttp2_hd_inflate_new(&inflater_) != 0) {
    inflater_ = nullptr;
    dead_ = true;
    error_ = "cannot allocate an HPACK inflater";
  }
}

Http2Reader::~Http2Reader() {
  if (inflater_) nghttp2_hd_inflate_del(inflater_);
}

bool Http2Reader::fail(std::string message) {
  dead_ = true;
  error_ = std::move(message);
  buf_.clear();
  block_.clear();
  return false;
}

void Http2Reader::lose() {
  if (!dead_) fail("bytes lost: HPACK state cannot be recovered");
}

void Http2Reader::set_table_size(uint32_t size) {
  if (inflater_) nghttp2_hd_inflate_change_table_size(inflater_, size);
}

bool Http2Reader::feed(std::string_view data) {
  if (dead_) return false;
  while (preface_left_ > 0 && !data.empty()) {
    size_t at = kHttp2Preface.size() - preface_left_;
    size_t n = std::min(preface_left_, data.size());
    if (data.substr(0, n) != kHttp2Preface.substr(at, n)) return fail("bad HTTP/2 client preface");
    preface_left_ -= n;
    data.remove_prefix(n);
  }
  while (!data.empty()) {
    auto take = [&](size_t want) {
      size_t n = std::min(want - std::min(want, buf_.size()), data.size());
      buf_.append(data.substr(0, n));
      data.remove_prefix(n);
      return buf_.size() >= want;
    };
    if (!take(kFrameHeader)) return true;
    uint32_t len = (uint32_t{static_cast<uint8_t>(buf_[0])} << 16) | (uint32_t{static_cast<uint8_t>(buf_[1])} << 8) |
                   static_cast<uint8_t>(buf_[2]);
    if (len > max_frame_) return fail("frame of " + std::to_string(len) + " bytes exceeds the capture's frame cap");
    if (!take(kFrameHeader + len)) return true;
    auto type = static_cast<uint8_t>(buf_[3]);
    auto flags = static_cast<uint8_t>(buf_[4]);
    uint32_t stream = be32(buf_.data() + 5) & 0x7fffffffu;
    std::string frame_bytes = std::move(buf_);
    buf_.clear();
    if (!frame(type, flags, stream, std::string_view(frame_bytes).substr(kFrameHeader))) return false;
  }
  return true;
}

bool Http2Reader::frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  if (in_block_ && type != kContinuation) return fail("header block interrupted by another frame");
  switch (type) {
    case kData:
      if (!unpad(flags, payload)) return fail("DATA padding exceeds the frame");
      if (!payload.empty()) sink_.on_h2_data(stream, payload);
      if (flags & kEndStream) sink_.on_h2_end(stream, false);
      return true;
    case kHeaders:
    case kPushPromise: {
      if (!unpad(flags, payload)) return fail("header frame padding exceeds the frame");
      if (type == kHeaders && (flags & kPriority)) {
        if (payload.size() < 5) return fail("HEADERS priority block cut");
        payload.remove_prefix(5);
      }
      if (type == kPushPromise) {
        if (payload.size() < 4) return fail("PUSH_PROMISE cut");
        payload.remove_prefix(4);
      }
      block_.assign(payload);
      block_stream_ = stream;
      block_end_stream_ = type == kHeaders && (flags & kEndStream);
      block_push_ = type == kPushPromise;
      in_block_ = true;
      if (!(flags & kEndHeaders)) {
        if (block_.size() > max_head_) return fail("header block exceeds the head cap");
        return true;
      }
      return header_block(stream, block_end_stream_, block_push_);
    }
    case kContinuation:
      if (!in_block_ || stream != block_stream_) return fail("CONTINUATION without a header block");
      block_.append(payload);
      if (block_.size() > max_head_) return fail("header block exceeds the head cap");
      if (!(flags & kEndHeaders)) return true;
      return header_block(block_stream_, block_end_stream_, block_push_);
    case kRstStream:
      sink_.on_h2_end(stream, true);
      return true;
    case kSettings:
      if (flags & 0x1) return true;  // ACK
      if (payload.size() % 6 != 0) return fail("SETTINGS length not a multiple of 6");
      for (size_t i = 0; i < payload.size(); i += 6) {
        uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(payload[i]) << 8) | static_cast<uint8_t>(payload[i + 1]));
        if (id == kSettingsHeaderTableSize) sink_.on_h2_table_size(be32(payload.data() + i + 2));
      }
      return true;
    default:
      return true;  // PRIORITY, PING, GOAWAY, WINDOW_UPDATE and unknown types carry nothing we decode
  }
}

bool Http2Reader::header_block(uint32_t stream, bool end_stream, bool push) {
  in_block_ = false;
  MessageHead head;
  head.version_minor = 0;
  auto in = reinterpret_cast<const uint8_t*>(block_.data());
  size_t left = block_.size();
  for (;;) {
    nghttp2_nv nv;
    int inflate_flags = 0;
    ssize_t rv = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, const_cast<uint8_t*>(in), left, 1);
    if (rv < 0) return fail(std::string("HPACK: ") + nghttp2_strerror(static_cast<int>(rv)));
    in += rv;
    left -= static_cast<size_t>(rv);
    if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
      std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
      std::string_view value(reinterpret_cast<const char*>(nv.value), nv.valuelen);
      if (name == ":method") {
        head.request = true;
        head.method = value;
      } else if (name == ":path") {
        head.target = value;
      } else if (name == ":status") {
        uint32_t status = 0;
        for (char c : value) status = status * 10 + static_cast<uint32_t>(c - '0');
        head.status = status;
      } else if (name == ":authority") {
        head.headers.push_back({"host", std::string(value)});
      } else if (!name.starts_with(':')) {
        head.headers.push_back({std::string(name), std::string(value)});
      }
    }
    if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater_);
      break;
    }
    if (left == 0 && !(inflate_flags & NGHTTP2_HD_INFLATE_EMIT)) break;
  }
  block_.clear();
  if (push) return true;  // decompressed only to keep the table in step
  if (head.request || head.status != 0) sink_.on_h2_head(stream, head);
  if (end_stream) sink_.on_h2_end(stream, false);
  return true;
}

}  // namespace ztai::http
