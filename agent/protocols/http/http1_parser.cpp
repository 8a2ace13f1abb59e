#include "agent/protocols/http/http1_parser.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace ztai::http {
namespace {

constexpr std::array<std::string_view, 9> kMethods = {"GET ",    "POST ",  "PUT ",     "DELETE ", "PATCH ",
                                                      "HEAD ",   "OPTIONS ", "CONNECT ", "TRACE "};
constexpr size_t kMaxChunkLine = 1024;
// Enough of a line to recognise a message start: "HTTP/1.1", "OPTIONS ".
constexpr size_t kStartLen = 8;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Does a comma-separated header value list `token` (Transfer-Encoding: gzip, chunked)?
bool last_token_is(std::string_view value, std::string_view token) {
  size_t comma = value.rfind(',');
  std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
  return iequals(last, token);
}

}  // namespace

const std::string* MessageHead::find(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

bool Http1Parser::looks_like_start(std::string_view data) {
  if (data.starts_with("HTTP/1.")) return true;
  for (std::string_view m : kMethods) {
    if (data.starts_with(m)) return true;
  }
  return false;
}

bool Http1Parser::fail(std::string message) {
  error_ = std::move(message);
  buf_.clear();
  state_ = State::kHunt;
  hunt_midline_ = true;
  return false;
}

void Http1Parser::chunk_boundary() {
  if (state_ == State::kHunt && hunt_midline_) hunt_midline_ = false;
}

void Http1Parser::lose() {
  if (state_ == State::kUpgraded) return;
  buf_.clear();
  state_ = State::kHunt;
  hunt_midline_ = false;  // losses are usually whole chunks: the next byte may start a message
}

bool Http1Parser::feed(std::string_view data) {
  bool ok = true;
  while (!data.empty()) {
    switch (state_) {
      case State::kUpgraded: return ok;
      case State::kHunt: {
        if (hunt_midline_) {
          size_t nl = data.find('\n');
          size_t n = nl == std::string_view::npos ? data.size() : nl + 1;
          skipped_ += n;
          data.remove_prefix(n);
          hunt_midline_ = nl == std::string_view::npos;
          break;
        }
        // At a line start: its first kStartLen bytes tell whether a message starts here.
        size_t n = std::min(kStartLen - buf_.size(), data.size());
        if (size_t nl = data.substr(0, n).find('\n'); nl != std::string_view::npos) {
          skipped_ += buf_.size() + nl + 1;
          buf_.clear();
          data.remove_prefix(nl + 1);
          break;
        }
        buf_.append(data.substr(0, n));
        data.remove_prefix(n);
        if (buf_.size() < kStartLen) break;
        if (looks_like_start(buf_)) {
          head_ = MessageHead{};
          state_ = State::kHead;  // buf_ is the head's beginning
        } else {
          skipped_ += buf_.size();
          buf_.clear();
          hunt_midline_ = true;
        }
        break;
      }
      case State::kIdle:
        // Blank lines between messages are tolerated (RFC 9112 2.2).
        if (data.front() == '\r' || data.front() == '\n') {
          data.remove_prefix(1);
          break;
        }
        head_ = MessageHead{};
        state_ = State::kHead;
        [[fallthrough]];
      case State::kHead: {
        size_t old = buf_.size();
        size_t take = std::min(data.size(), max_head_ + 4 - std::min(max_head_ + 4, old));
        buf_.append(data.substr(0, take));
        size_t from = old >= 3 ? old - 3 : 0;
        size_t end = buf_.find("\r\n\r\n", from);
        size_t sep = 4;
        if (end == std::string::npos) {
          end = buf_.find("\n\n", old >= 1 ? old - 1 : 0);
          sep = 2;
        }
        if (end == std::string::npos) {
          data.remove_prefix(take);
          if (buf_.size() > max_head_) ok = fail("message head exceeds " + std::to_string(max_head_) + " bytes");
          break;
        }
        size_t used = end + sep - old;
        data.remove_prefix(used);
        std::string text = buf_.substr(0, end);
        buf_.clear();
        if (!parse_head(text)) {
          ok = false;
          break;
        }
        if (!start_body()) ok = false;
        break;
      }
      case State::kBodyLength: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        sink_.on_body(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) end_message();
        break;
      }
      case State::kBodyClose:
        sink_.on_body(data);
        data = {};
        break;
      case State::kChunkSize:
      case State::kTrailers: {
        size_t nl = data.find('\n');
        size_t n = nl == std::string_view::npos ? data.size() : nl + 1;
        buf_.append(data.substr(0, n));
        data.remove_prefix(n);
        if (nl == std::string_view::npos) {
          if (buf_.size() > (state_ == State::kTrailers ? max_head_ : kMaxChunkLine)) {
            ok = fail("chunk size line or trailers too long");
          }
          break;
        }
        std::string_view line = trim(std::string_view(buf_).substr(0, buf_.size() - 1));
        if (state_ == State::kTrailers) {
          bool empty = line.empty();
          buf_.clear();
          if (empty) end_message();
          break;
        }
        size_t semi = line.find(';');  // chunk extensions are ignored
        std::string_view hex = trim(line.substr(0, semi));
        uint64_t size = 0;
        auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
        if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size()) {
          ok = fail("bad chunk size line");
          break;
        }
        buf_.clear();
        if (size == 0) {
          state_ = State::kTrailers;
        } else {
          remaining_ = size;
          state_ = State::kChunkData;
        }
        break;
      }
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        sink_.on_body(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd: {
        // The CRLF after a chunk's data.
        char c = data.front();
        data.remove_prefix(1);
        if (c == '\n') {
          state_ = State::kChunkSize;
        } else if (c != '\r') {
          ok = fail("chunk data not followed by CRLF");
        }
        break;
      }
    }
  }
  return ok;
}

bool Http1Parser::parse_head(std::string_view text) {
  size_t eol = text.find('\n');
  std::string_view start = trim(text.substr(0, eol));
  MessageHead h;
  if (start.starts_with("HTTP/1.")) {
    // HTTP/1.1 200 OK
    if (start.size() < 12 || start[8] != ' ') return fail("malformed status line");
    h.version_minor = start[7] - '0';
    std::string_view code = start.substr(9, 3);
    auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), h.status);
    if (ec != std::errc() || p != code.data() + 3 || h.status < 100 || h.status > 999) {
      return fail("malformed status code");
    }
  } else {
    size_t sp1 = start.find(' ');
    size_t sp2 = start.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return fail("malformed request line");
    std::string_view version = start.substr(sp2 + 1);
    if (!version.starts_with("HTTP/1.") || version.size() != 8) return fail("malformed request line version");
    h.request = true;
    h.method = std::string(start.substr(0, sp1));
    for (char c : h.method) {
      if (c < 'A' || c > 'Z') return fail("malformed request method");
    }
    h.target = std::string(start.substr(sp1 + 1, sp2 - sp1 - 1));
    h.version_minor = version[7] - '0';
  }
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 1);
    eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("malformed header line");
    h.headers.push_back({lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  }
  head_ = std::move(h);
  return true;
}

bool Http1Parser::start_body() {
  sink_.on_head(head_);
  const MessageHead& h = head_;
  if (!h.request) {
    if (h.status == 101) {
      sink_.on_message_end();
      state_ = State::kUpgraded;
      return true;
    }
    if ((h.status >= 100 && h.status < 200) || h.status == 204 || h.status == 304 || sink_.response_to_head()) {
      end_message();
      return true;
    }
  }
  if (const std::string* te = h.find("transfer-encoding"); te && last_token_is(*te, "chunked")) {
    state_ = State::kChunkSize;
    return true;
  }
  if (const std::string* cl = h.find("content-length")) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc() || p != cl->data() + cl->size()) {
      return fail("malformed Content-Length");
    }
    if (n == 0) {
      end_message();
      return true;
    }
    remaining_ = n;
    state_ = State::kBodyLength;
    return true;
  }
  // A request without a length has no body; a response without one runs until the close.
  if (h.request) {
    end_message();
  } else {
    state_ = State::kBodyClose;
  }
  return true;
}

void Http1Parser::end_message() {
  state_ = State::kIdle;
  buf_.clear();
  sink_.on_message_end();
}

bool Http1Parser::finish() {
  if (state_ == State::kBodyClose) {
    end_message();
    return true;
  }
  bool cut = in_message();
  buf_.clear();
  if (state_ != State::kUpgraded) state_ = State::kIdle;
  return !cut;
}

}  // namespace ztai::http
