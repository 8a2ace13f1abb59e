// Content-Encoding of captured bodies: gzip and deflate are inflated incrementally (zlib), with
// the output bounded so that a small compressed body cannot expand without limit. Brotli and
// zstd are recognised but not decoded (the event says so).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;

namespace ztai::http {

class ContentDecoder {
 public:
  // nullptr for identity (or no header); otherwise a decoder, possibly unsupported().
  static std::unique_ptr<ContentDecoder> for_encoding(std::string_view content_encoding, size_t max_output);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Appends the decoded bytes of `in` to `out`. False once the stream is corrupt, or the output
  // reached max_output (capped() tells which); later input is ignored.
  bool feed(std::string_view in, std::string& out);

  bool unsupported() const { return !stream_; }
  bool capped() const { return capped_; }
  const std::string& encoding() const { return encoding_; }
  const std::string& error() const { return error_; }

 private:
  ContentDecoder(std::string encoding, size_t max_output);

  std::string encoding_;
  size_t max_output_;
  size_t produced_ = 0;
  std::unique_ptr<z_stream_s> stream_;
  bool done_ = false;
  bool capped_ = false;
  std::string error_;
};

}  // namespace ztai::http
