#include "agent/pipeline/output_stage.h"

#include <thread>

namespace ztai {

OutputStage::OutputStage(std::vector<std::unique_ptr<OutputChannel>> channels) : channels_(std::move(channels)) {}

OutputStage::OutputStage(std::vector<std::unique_ptr<Exporter>> exporters, size_t capacity, MetricsRegistry& metrics) {
  for (auto& e : exporters) {
    OutputSpec spec;
    spec.options.name = std::string(e->name());
    spec.options.queue_capacity = capacity;
    spec.exporter = std::move(e);
    // Without a spool creation cannot fail.
    channels_.push_back(OutputChannel::create(std::move(spec), metrics).value());
  }
}

OutputStage::~OutputStage() { stop(); }

void OutputStage::submit(Record record) {
  OutputChannel* last = nullptr;
  for (const auto& c : channels_) {
    if (!c->options().accepts(record)) continue;
    if (last) last->submit(record);
    last = c.get();
  }
  if (last) last->submit(std::move(record));
}

void OutputStage::stop() {
  // Stop all at once: each drains within its own stop_timeout, in parallel.
  std::vector<std::thread> stoppers;
  for (const auto& c : channels_) stoppers.emplace_back([&c] { c->stop(); });
  for (std::thread& t : stoppers) t.join();
}

Result<std::vector<std::unique_ptr<OutputChannel>>> create_channels(std::vector<OutputSpec> specs,
                                                                    MetricsRegistry& metrics) {
  std::vector<std::unique_ptr<OutputChannel>> out;
  for (OutputSpec& spec : specs) {
    auto c = OutputChannel::create(std::move(spec), metrics);
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace ztai
