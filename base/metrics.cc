#include "base/metrics.h"

#include <cmath>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::base {
namespace {

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) out += "NaN";
  else if (v == std::floor(v) && std::fabs(v) < 1e15) out += fmt::format("{}", static_cast<int64_t>(v));
  else out += fmt::format("{}", v);
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

bool labels_include(const Labels& labels, const Labels& match) {
  for (const auto& m : match) {
    bool found = false;
    for (const auto& l : labels) found = found || l == m;
    if (!found) return false;
  }
  return true;
}

}  // namespace

void MetricsWriter::counter(std::string_view name, std::string_view help, const Labels& labels, double value) {
  add(name, help, MetricType::counter, "", labels, value);
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, const Labels& labels, double value) {
  add(name, help, MetricType::gauge, "", labels, value);
}

void MetricsWriter::histogram(std::string_view name, std::string_view help, const Labels& labels,
                              const Histogram& histogram, double units_per_exposed) {
  const auto bounds = histogram.upper_bounds();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += histogram.bucket_count(i);
    Labels with_le = labels;
    with_le.emplace_back(
        "le", i < bounds.size() ? fmt::format("{}", static_cast<double>(bounds[i]) / units_per_exposed) : "+Inf");
    add(name, help, MetricType::histogram, "_bucket", with_le, static_cast<double>(cumulative));
  }
  add(name, help, MetricType::histogram, "_sum", labels, static_cast<double>(histogram.sum()) / units_per_exposed);
  add(name, help, MetricType::histogram, "_count", labels, static_cast<double>(cumulative));
}

void MetricsWriter::add(std::string_view name, std::string_view help, MetricType type, std::string_view suffix,
                        const Labels& labels, double value) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  SLUICE_ASSERT(it->second.type == type, "one metric family registered with two types");
  it->second.samples.push_back(Sample{suffix, labels, value});
}

std::string MetricsWriter::text() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, type_name(family.type));
    for (const auto& [suffix, labels, value] : family.samples) {
      out += name;
      out += suffix;
      if (!labels.empty()) {
        out += '{';
        for (size_t i = 0; i < labels.size(); ++i) {
          if (i) out += ',';
          out += labels[i].first;
          out += "=\"";
          append_escaped_label_value(out, labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      append_value(out, value);
      out += '\n';
    }
  }
  return out;
}

double MetricsWriter::sum(std::string_view name, const Labels& match) const {
  double total = 0;
  for (std::string_view suffix : {"", "_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    auto it = families_.find(name.substr(0, name.size() - suffix.size()));
    if (it == families_.end()) continue;
    for (const auto& sample : it->second.samples)
      if (sample.suffix == suffix && labels_include(sample.labels, match)) total += sample.value;
  }
  return total;
}

}  // namespace sluice::base
