// Puts items back in kernel-time order. Events reach the agent through two ring buffers (control
// and data), merged by kernel time within each drain (agent/kernel/ring_merge.h), but each ring is
// filled by every CPU, so an event can arrive a drain after one that happened later. Items wait
// here until the newest time seen (or the clock) is a window past them, then leave oldest first.
// An item older than what already left is late: it leaves at once and is counted, never dropped.
#pragma once

#include <cstdint>
#include <algorithm>
#include <vector>

namespace ztai::rules {

// T has `uint64_t boot_ns` and `uint64_t order` (arrival order, for equal times).
template <typename T>
class ReorderBuffer {
 public:
  ReorderBuffer(uint64_t window_ns, size_t capacity) : window_ns_(window_ns), capacity_(capacity) {}

  // Adds an item; items that must leave now (late ones, or the oldest beyond the capacity) go to
  // out, in order.
  void push(T item, std::vector<T>& out) {
    if (item.boot_ns > newest_) newest_ = item.boot_ns;
    if (item.boot_ns < released_) {
      ++late_;
      out.push_back(std::move(item));
      return;
    }
    heap_.push_back(std::move(item));
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    while (heap_.size() > capacity_) {
      ++forced_;
      pop_into(out);
    }
  }

  // Moves to out, oldest first, the items a window older than the newest time seen or now.
  void release(uint64_t now_boot_ns, std::vector<T>& out) {
    uint64_t horizon = std::max(newest_, now_boot_ns);
    while (!heap_.empty() && heap_.front().boot_ns + window_ns_ <= horizon) pop_into(out);
  }

  // Everything, oldest first (a rule reload, the end of a test or of the agent).
  void flush(std::vector<T>& out) {
    while (!heap_.empty()) pop_into(out);
  }

  size_t size() const { return heap_.size(); }
  uint64_t late() const { return late_; }      // arrived after newer items had left
  uint64_t forced() const { return forced_; }  // left early: the buffer was full

 private:
  struct Later {
    bool operator()(const T& a, const T& b) const {
      return a.boot_ns != b.boot_ns ? a.boot_ns > b.boot_ns : a.order > b.order;
    }
  };

  void pop_into(std::vector<T>& out) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    T item = std::move(heap_.back());
    heap_.pop_back();
    if (item.boot_ns > released_) released_ = item.boot_ns;
    out.push_back(std::move(item));
  }

  uint64_t window_ns_;
  size_t capacity_;
  std::vector<T> heap_;  // a min-heap by (boot_ns, order)
  uint64_t newest_ = 0;
  uint64_t released_ = 0;
  uint64_t late_ = 0;
  uint64_t forced_ = 0;
};

}  // namespace ztai::rules
