// Incremental parser of a text/event-stream body (server-sent events): lines of `field: value`,
// an event dispatched at each blank line. Used for streamed LLM answers and MCP responses.
#pragma once

#include <string>
#include <string_view>

namespace ztai::http {

struct SseEvent {
  std::string event;  // empty means "message"
  std::string data;   // data lines joined by '\n'
  std::string id;
};

class SseParser {
 public:
  // An event larger than max_event_bytes is delivered cut, with truncated set.
  explicit SseParser(size_t max_event_bytes) : max_(max_event_bytes) {}

  // Calls on_event(const SseEvent&, bool truncated) for each event completed by `data`.
  template <typename F>
  void feed(std::string_view data, F&& on_event) {
    while (!data.empty()) {
      if (skip_lf_) {
        skip_lf_ = false;
        if (data.front() == '\n') {
          data.remove_prefix(1);
          continue;
        }
      }
      size_t end = data.find_first_of("\r\n");
      if (end == std::string_view::npos) {
        append_line(data);
        return;
      }
      append_line(data.substr(0, end));
      skip_lf_ = data[end] == '\r';
      data.remove_prefix(end + 1);
      if (line(on_event)) continue;
    }
  }

  // The stream ended: an event not closed by a blank line is dropped, as the spec says.
  void reset() {
    line_.clear();
    current_ = {};
    has_data_ = truncated_ = skip_lf_ = false;
  }

 private:
  void append_line(std::string_view part) {
    size_t room = max_ > line_.size() ? max_ - line_.size() : 0;
    if (part.size() > room) truncated_ = true;
    line_.append(part.substr(0, room));
  }

  template <typename F>
  bool line(F&& on_event) {
    if (line_.empty()) {
      if (has_data_) on_event(static_cast<const SseEvent&>(current_), truncated_);
      current_ = {};
      has_data_ = truncated_ = false;
      return true;
    }
    std::string_view l = line_;
    if (l.front() != ':') {  // a comment otherwise
      size_t colon = l.find(':');
      std::string_view field = l.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "data") {
        if (has_data_) current_.data.push_back('\n');
        size_t room = max_ > current_.data.size() ? max_ - current_.data.size() : 0;
        if (value.size() > room) truncated_ = true;
        current_.data.append(value.substr(0, room));
        has_data_ = true;
      } else if (field == "event") {
        current_.event = std::string(value);
      } else if (field == "id") {
        current_.id = std::string(value);
      }
    }
    line_.clear();
    return true;
  }

  size_t max_;
  std::string line_;
  SseEvent current_;
  bool has_data_ = false;
  bool truncated_ = false;
  bool skip_lf_ = false;
};

}  // namespace ztai::http
