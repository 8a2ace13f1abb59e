// Incremental HTTP/1.x message parser for one direction of a connection: start line and headers,
// then the body by Content-Length, chunked transfer coding, or until the connection closes.
// Bytes may arrive split anywhere; several messages may follow each other (keep-alive,
// pipelining). After malformed input or a loss it skips to the next line that starts a message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ztai::http {

struct Header {
  std::string name;  // lower case
  std::string value;  // surrounding whitespace removed
};

struct MessageHead {
  bool request = false;
  std::string method;  // request
  std::string target;  // request
  uint32_t status = 0;  // response
  int version_minor = 1;
  std::vector<Header> headers;

  // The first header of that (lower case) name, or nullptr.
  const std::string* find(std::string_view name) const;
};

class Http1Sink {
 public:
  virtual ~Http1Sink() = default;
  virtual void on_head(const MessageHead& head) = 0;
  virtual void on_body(std::string_view data) = 0;
  virtual void on_message_end() = 0;
  // A response is parsed: was its request HEAD (no body whatever the headers say)?
  virtual bool response_to_head() { return false; }
};

class Http1Parser {
 public:
  Http1Parser(Http1Sink& sink, size_t max_head_bytes) : sink_(sink), max_head_(max_head_bytes) {}

  // Parses what it can; returns false when the input is malformed (error() says why) and skips
  // to the next plausible message start on the following calls.
  bool feed(std::string_view data);
  // The connection closed: ends a body delimited by the close. Returns false when a message was
  // cut short (its end is not reported).
  bool finish();
  // Bytes were lost before the next feed: the message in progress is abandoned.
  void lose();
  // The next feed starts a new capture chunk. While skipping after an error or a loss, a chunk
  // (one write or read call) may begin a message even in the middle of a skipped line.
  void chunk_boundary();

  // True when a message is in progress (head or body); false between messages.
  bool in_message() const { return state_ != State::kIdle && state_ != State::kHunt; }
  // The stream switched protocols (101, CONNECT): the rest is not HTTP/1 and is ignored.
  bool upgraded() const { return state_ == State::kUpgraded; }
  const std::string& error() const { return error_; }
  uint64_t skipped_bytes() const { return skipped_; }

  // Does the text start like a request line or a status line? Needs 8 bytes to tell.
  static bool looks_like_start(std::string_view data);

 private:
  enum class State { kIdle, kHead, kBodyLength, kBodyClose, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kHunt,
                     kUpgraded };

  bool fail(std::string message);
  bool parse_head(std::string_view text);
  bool start_body();
  void end_message();

  Http1Sink& sink_;
  size_t max_head_;
  State state_ = State::kIdle;
  std::string buf_;  // head, chunk-size line or trailers in progress
  uint64_t remaining_ = 0;
  MessageHead head_;
  std::string error_;
  uint64_t skipped_ = 0;
  bool hunt_midline_ = false;  // hunting, and inside a line that does not start a message
};

}  // namespace ztai::http
