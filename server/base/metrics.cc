#include "server/base/metrics.h"

#include <cmath>

#include <fmt/format.h>

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
  add(name, help, MetricType::counter, labels, value);
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, const Labels& labels, double value) {
  add(name, help, MetricType::gauge, labels, value);
}

void MetricsWriter::add(std::string_view name, std::string_view help, MetricType type, const Labels& labels,
                        double value) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  it->second.samples.emplace_back(labels, value);
}

std::string MetricsWriter::text() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name,
                       family.type == MetricType::counter ? "counter" : "gauge");
    for (const auto& [labels, value] : family.samples) {
      out += name;
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
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  double total = 0;
  for (const auto& [labels, value] : it->second.samples)
    if (labels_include(labels, match)) total += value;
  return total;
}

}  // namespace sluice::base
