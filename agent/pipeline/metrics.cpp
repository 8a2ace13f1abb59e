#include "agent/pipeline/metrics.h"

#include <algorithm>

#include <fmt/format.h>

namespace ztai {

MetricsRegistry::Entry& MetricsRegistry::find_or_add(std::string_view name, std::string_view help,
                                                     MetricKind kind, MetricLabels labels) {
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.name == name && e.labels == labels) return e;
  }
  Entry& e = entries_.emplace_back();
  e.name = name;
  e.help = help;
  e.kind = kind;
  e.labels = std::move(labels);
  return e;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, MetricLabels labels) {
  return find_or_add(name, help, MetricKind::kCounter, std::move(labels)).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, MetricLabels labels) {
  return find_or_add(name, help, MetricKind::kGauge, std::move(labels)).gauge;
}

void MetricsRegistry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<MetricSample> MetricsRegistry::snapshot() const {
  std::vector<MetricSample> out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const Entry& e : entries_) {
      double v = e.kind == MetricKind::kCounter ? static_cast<double>(e.counter.value())
                                                : static_cast<double>(e.gauge.value());
      out.push_back({e.name, e.help, e.kind, e.labels, v});
    }
    collectors = collectors_;
  }
  for (const Collector& c : collectors) c(out);
  std::stable_sort(out.begin(), out.end(), [](const MetricSample& a, const MetricSample& b) {
    return std::tie(a.name, a.labels) < std::tie(b.name, b.labels);
  });
  return out;
}

double MetricsRegistry::value(std::string_view name, const MetricLabels& labels) const {
  for (const MetricSample& s : snapshot()) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return 0;
}

namespace {
void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}
}  // namespace

std::string render_prometheus(const std::vector<MetricSample>& samples) {
  std::string out;
  std::string_view last_name;
  for (const MetricSample& s : samples) {
    if (s.name != last_name) {
      fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", s.name, s.help, s.name,
                     s.kind == MetricKind::kCounter ? "counter" : "gauge");
      last_name = s.name;
    }
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (size_t i = 0; i < s.labels.size(); ++i) {
        if (i) out += ',';
        out += s.labels[i].first;
        out += "=\"";
        append_label_value(out, s.labels[i].second);
        out += '"';
      }
      out += '}';
    }
    fmt::format_to(std::back_inserter(out), " {}\n", s.value);
  }
  return out;
}

}  // namespace ztai
