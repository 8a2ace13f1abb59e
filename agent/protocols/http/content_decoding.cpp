#include "agent/protocols/http/content_decoding.h"

#include <zlib.h>

#include <array>

namespace ztai::http {
namespace {

std::string lower_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

ContentDecoder::ContentDecoder(std::string encoding, size_t max_output)
    : encoding_(std::move(encoding)), max_output_(max_output) {}

ContentDecoder::~ContentDecoder() {
  if (stream_) inflateEnd(stream_.get());
}

std::unique_ptr<ContentDecoder> ContentDecoder::for_encoding(std::string_view header, size_t max_output) {
  std::string enc = lower_trim(header);
  if (enc.empty() || enc == "identity") return nullptr;
  std::unique_ptr<ContentDecoder> d(new ContentDecoder(enc, max_output));
  // 15 + 32: zlib detects a gzip or zlib header (HTTP's "deflate" is the zlib format, RFC 9110).
  int window = enc == "gzip" || enc == "x-gzip" || enc == "deflate" ? 15 + 32 : 0;
  if (window == 0) return d;  // br, zstd, a list of codings: not decoded
  d->stream_ = std::make_unique<z_stream_s>();
  if (inflateInit2(d->stream_.get(), window) != Z_OK) {
    d->stream_.reset();
    d->error_ = "zlib initialisation failed";
  }
  return d;
}

bool ContentDecoder::feed(std::string_view in, std::string& out) {
  if (!stream_ || done_) return false;
  std::array<unsigned char, 16384> buf;
  z_stream_s& z = *stream_;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  while (z.avail_in > 0) {
    z.next_out = buf.data();
    z.avail_out = buf.size();
    int rc = inflate(&z, Z_NO_FLUSH);
    size_t n = buf.size() - z.avail_out;
    size_t room = max_output_ - std::min(max_output_, produced_);
    out.append(reinterpret_cast<const char*>(buf.data()), std::min(n, room));
    produced_ += n;
    if (n > room) {
      capped_ = true;
      done_ = true;
      return false;
    }
    if (rc == Z_STREAM_END) {
      done_ = true;
      return true;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error_ = z.msg ? z.msg : "corrupt compressed body";
      done_ = true;
      return false;
    }
    if (rc == Z_BUF_ERROR && n == 0) break;
  }
  return true;
}

}  // namespace ztai::http
