#include "tests/support/event_collector.h"

#include "agent/kernel/features.h"
#include "agent/kernel/preflight.h"
#include "tests/support/kernel_test.h"

namespace ztai::testing {

Result<std::unique_ptr<EventCollector>> EventCollector::start(LoaderSettings settings) {
  if (Status s = run_preflight({}); !s) return s.error();
  auto programs = BpfPrograms::load(settings, probe_kernel_features());
  if (!programs) return programs.error();
  auto c = std::make_unique<EventCollector>();
  c->programs_ = std::move(*programs);
  auto reader = RingReader::create(c->programs_->control_ring_fd(), c->programs_->data_ring_fd(), *c);
  if (!reader) return reader.error();
  c->reader_ = std::move(*reader);
  return c;
}

Result<std::unique_ptr<EventCollector>> EventCollector::start_with_prerequisites(
    LoaderSettings settings, const std::vector<std::string>& required_families) {
  if (Status s = kernel_available(); !s) return s.error();
  auto c = start(settings);
  if (!c) return c.error();
  for (const std::string& family : required_families) {
    if (!(*c)->programs().family_loaded(family)) {
      return make_error(ErrorCode::kUnsupported, "the {} programs did not load on this kernel", family);
    }
  }
  return c;
}

void EventCollector::on_record(std::span<const std::byte> record) {
  auto ev = decode_record(record);
  if (ev) {
    events_.push_back(std::move(*ev));
  } else {
    ++decode_errors_;
  }
}

void EventCollector::drain() { (void)reader_->poll(0); }

const Event* EventCollector::wait_for(const std::function<bool(const Event&)>& pred,
                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  do {
    (void)reader_->poll(10);
    for (; checked < events_.size(); ++checked) {
      if (pred(events_[checked])) return &events_[checked];
    }
  } while (std::chrono::steady_clock::now() < deadline);
  return nullptr;
}

}  // namespace ztai::testing
