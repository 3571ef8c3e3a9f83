// A sink probe's metric table: one row per metric the probe exports, with its name, type, help
// and how its value is read from the probe, so that collect() is one loop over the rows and
// every name can be checked against the naming rule below (tests/sinks/common/metric_table_test.cc
// checks every sink's table).
//
// The naming rule (docs/METRICS.md): sluice_sink_<type>_<what happened>_<unit>[_total], where
// <unit> is the plural noun that is counted (events, bytes, files, ...), last but for _total on
// counters (or _max on a gauge of a maximum), and <what happened> comes before it: sent_events,
// written_bytes, opened_files. Metrics every sink has (the runner's, invalid UTF-8) have no <type>.
//
// Threads: the tables are constant; collect() runs on the admin thread and only reads the
// probe's counters and gauges, which their owning sink thread writes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/metrics.h"

namespace sluice::sinks {

template <typename Probe>
struct MetricRow {
  std::string_view name;
  base::MetricType type;  // counter or gauge
  std::string_view help;
  // A metric of one series: its value now.
  double (*value)(const Probe&) = nullptr;
  // A family labelled by what it counts (a reason, a kind): writes every series (then `value`
  // is nullptr).
  void (*series)(const Probe&, const MetricRow& row, base::MetricsWriter& out, const base::Labels& labels) = nullptr;
};

template <typename Probe>
void collect_metric_table(std::span<const MetricRow<Probe>> rows, const Probe& probe, base::MetricsWriter& out,
                          const base::Labels& labels) {
  for (const MetricRow<Probe>& row : rows) {
    if (row.series) {
      row.series(probe, row, out, labels);
    } else if (row.type == base::MetricType::counter) {
      out.counter(row.name, row.help, labels, row.value(probe));
    } else {
      out.gauge(row.name, row.help, labels, row.value(probe));
    }
  }
}

// Writes one series of a labelled family: `labels` plus {key, value}.
template <typename Probe>
void write_labelled(const MetricRow<Probe>& row, base::MetricsWriter& out, const base::Labels& labels,
                    std::string_view key, std::string_view value, double sample) {
  base::Labels l = labels;
  l.emplace_back(std::string(key), std::string(value));
  if (row.type == base::MetricType::counter) out.counter(row.name, row.help, l, sample);
  else out.gauge(row.name, row.help, l, sample);
}

// Why `name` breaks the naming rule for a metric of sink type `type` (empty: the type-less
// metrics every sink shares), or an empty string when it follows it.
std::string metric_name_problem(std::string_view name, std::string_view type, base::MetricType metric_type);

}  // namespace sluice::sinks
