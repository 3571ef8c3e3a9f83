#include "sinks/file_roll/file_roll_sink_probe.h"

#include <array>

#include "sinks/common/event_format.h"

namespace sluice::sinks::file_roll {

std::span<const MetricRow<FileRollSinkProbe>> FileRollSinkProbe::metric_table() {
  using P = FileRollSinkProbe;
  constexpr auto counter = base::MetricType::counter;
  static constexpr std::array<MetricRow<P>, 4> kRows = {{
      {"sluice_sink_file_roll_opened_files_total", counter, "Output files opened (one per roll with events).",
       [](const P& p) { return static_cast<double>(p.opened_files_.value()); }},
      {"sluice_sink_file_roll_written_bytes_total", counter, "Bytes written to output files.",
       [](const P& p) { return static_cast<double>(p.written_bytes_.value()); }},
      {"sluice_sink_file_roll_write_errors_total", counter, "Failed writes (the batch is retried).",
       [](const P& p) { return static_cast<double>(p.write_errors_.value()); }},
      {kInvalidUtf8EventsMetric, counter, kInvalidUtf8EventsHelp,
       [](const P& p) { return static_cast<double>(p.invalid_utf8_events_.value()); }},
  }};
  return kRows;
}

}  // namespace sluice::sinks::file_roll
