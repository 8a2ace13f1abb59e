// Reads one direction of an HTTP/2 connection: the client preface (on the client's side), then
// frames. Header blocks (HEADERS, PUSH_PROMISE + CONTINUATION) are decompressed with nghttp2's
// HPACK inflater, so the reader must see the direction from its first frame: HPACK state cannot
// be rebuilt after a loss, and the reader then stops (dead()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/protocols/http/http1_parser.h"

struct nghttp2_hd_inflater;

namespace ztai::http {

inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class Http2Sink {
 public:
  virtual ~Http2Sink() = default;
  // The first header block of a stream, pseudo-headers mapped onto a MessageHead (:method,
  // :path, :status; :authority becomes a "host" header).
  virtual void on_h2_head(uint32_t stream, const MessageHead& head) = 0;
  virtual void on_h2_data(uint32_t stream, std::string_view data) = 0;
  // END_STREAM seen (reset = RST_STREAM: the stream was abandoned).
  virtual void on_h2_end(uint32_t stream, bool reset) = 0;
  // This side's SETTINGS_HEADER_TABLE_SIZE, which bounds the other direction's HPACK table.
  virtual void on_h2_table_size(uint32_t /*size*/) {}
};

class Http2Reader {
 public:
  // max_frame_bytes: a frame larger than this is not buffered; the reader stops.
  Http2Reader(Http2Sink& sink, bool expect_preface, size_t max_head_bytes, size_t max_frame_bytes = 1 << 20);
  ~Http2Reader();
  Http2Reader(const Http2Reader&) = delete;
  Http2Reader& operator=(const Http2Reader&) = delete;

  // Returns false once the reader is dead (malformed input, lost bytes, a header block it
  // could not decompress); error() says why.
  bool feed(std::string_view data);
  void lose();
  void set_table_size(uint32_t size);

  bool dead() const { return dead_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string message);
  bool frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload);
  bool header_block(uint32_t stream, bool end_stream, bool push);

  Http2Sink& sink_;
  nghttp2_hd_inflater* inflater_ = nullptr;
  size_t max_head_;
  size_t max_frame_;
  size_t preface_left_;
  std::string buf_;  // the frame in progress
  // A header block awaiting its CONTINUATION frames.
  std::string block_;
  uint32_t block_stream_ = 0;
  bool block_end_stream_ = false;
  bool block_push_ = false;
  bool in_block_ = false;
  bool dead_ = false;
  std::string error_;
};

}  // namespace ztai::http
