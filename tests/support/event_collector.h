// Loads the agent's programs and collects the decoded events, for kernel tests that trigger a
// real syscall and assert the event.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/events/decoder.h"
#include "agent/kernel/bpf_programs.h"
#include "agent/kernel/ring_reader.h"

namespace ztai::testing {

class EventCollector : public RecordSink {
 public:
  // Preflight, probe, load and attach with these settings.
  static Result<std::unique_ptr<EventCollector>> start(LoaderSettings settings);
  // What a kernel test checks before it runs: kernel_available(), start(settings), then each of
  // required_families loaded. The error names what is missing, for ZTAI_KERNEL_PREREQ.
  static Result<std::unique_ptr<EventCollector>> start_with_prerequisites(
      LoaderSettings settings, const std::vector<std::string>& required_families = {});

  void on_record(std::span<const std::byte> record) override;

  // Polls until pred holds for one collected event or the timeout passes; returns it.
  const Event* wait_for(const std::function<bool(const Event&)>& pred,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::vector<Event>& events() const { return events_; }
  void drain();
  size_t decode_errors() const { return decode_errors_; }
  BpfPrograms& programs() { return *programs_; }

 private:
  std::unique_ptr<BpfPrograms> programs_;
  std::unique_ptr<RingReader> reader_;
  std::vector<Event> events_;
  size_t decode_errors_ = 0;
};

}  // namespace ztai::testing
