#include "sinks/hdfs/hdfs_sink_probe.h"

#include "sinks/common/event_format.h"

namespace sluice::sinks::hdfs {

std::string_view roll_reason_name(RollReason reason) {
  static constexpr std::array<std::string_view, static_cast<size_t>(RollReason::kCount)> kNames = {
      "count", "size", "interval", "idle", "max_open_files", "stop"};
  return kNames[static_cast<size_t>(reason)];
}

std::span<const MetricRow<HdfsSinkProbe>> HdfsSinkProbe::metric_table() {
  using P = HdfsSinkProbe;
  using Row = MetricRow<P>;
  constexpr auto counter = base::MetricType::counter;
  constexpr auto gauge = base::MetricType::gauge;
  static constexpr std::array<Row, 12> kRows = {{
      {"sluice_sink_hdfs_written_events_total", counter, "Events in files the file system acknowledged.",
       [](const P& p) { return static_cast<double>(p.written_events_.value()); }},
      {"sluice_sink_hdfs_written_bytes_total", counter, "File bytes the file system acknowledged.",
       [](const P& p) { return static_cast<double>(p.written_bytes_.value()); }},
      {"sluice_sink_hdfs_opened_files_total", counter, "Files started.",
       [](const P& p) { return static_cast<double>(p.opened_files_.value()); }},
      {"sluice_sink_hdfs_closed_files_total", counter, "Files finished and renamed to their final names.",
       [](const P& p) { return static_cast<double>(p.closed_files_.value()); }},
      {"sluice_sink_hdfs_open_files", gauge, "Files open now.",
       [](const P& p) { return static_cast<double>(p.open_files_.value()); }},
      {"sluice_sink_hdfs_pending_bytes", gauge, "Bytes produced and not yet acknowledged.",
       [](const P& p) { return static_cast<double>(p.pending_bytes_.value()); }},
      {"sluice_sink_hdfs_commits_total", counter, "Group commits: every pending byte acknowledged.",
       [](const P& p) { return static_cast<double>(p.commits_.value()); }},
      {"sluice_sink_hdfs_unplaceable_events_total", counter,
       "Events dropped because their path could not be made (no timestamp, unsafe header).",
       [](const P& p) { return static_cast<double>(p.unplaceable_events_.value()); }},
      {"sluice_sink_hdfs_closed_leftover_files_total", counter, "Files a previous run left in use, closed at start.",
       [](const P& p) { return static_cast<double>(p.closed_leftover_files_.value()); }},
      {kInvalidUtf8EventsMetric, counter, kInvalidUtf8EventsHelp,
       [](const P& p) { return static_cast<double>(p.invalid_utf8_events_.value()); }},
      {"sluice_sink_hdfs_rolls_total", counter, "Files closed, by what closed them.", nullptr,
       [](const P& p, const Row& row, base::MetricsWriter& out, const base::Labels& labels) {
         for (size_t i = 0; i < p.rolls_.size(); ++i)
           write_labelled(row, out, labels, "reason", roll_reason_name(static_cast<RollReason>(i)),
                          static_cast<double>(p.rolls_[i].value()));
       }},
      {"sluice_sink_hdfs_errors_total", counter, "Failed file system calls (each retried), by kind.", nullptr,
       [](const P& p, const Row& row, base::MetricsWriter& out, const base::Labels& labels) {
         for (size_t i = 0; i < p.errors_.size(); ++i)
           write_labelled(row, out, labels, "kind", fs_error_kind_name(static_cast<FsErrorKind>(i)),
                          static_cast<double>(p.errors_[i].value()));
       }},
  }};
  return kRows;
}

}  // namespace sluice::sinks::hdfs
