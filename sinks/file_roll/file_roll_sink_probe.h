// What the file_roll sink did, for /metrics: methods named for what happened, written by the
// sink's thread; collect() on the admin thread, from the metric table.
#pragma once

#include <span>

#include "base/counter.h"
#include "sinks/common/metric_table.h"

namespace sluice::sinks::file_roll {

class FileRollSinkProbe {
 public:
  void file_opened() { opened_files_.add(); }
  void bytes_written(uint64_t n) { written_bytes_.add(n); }
  void write_failed() { write_errors_.add(); }
  void invalid_utf8_event() { invalid_utf8_events_.add(); }

  static std::span<const MetricRow<FileRollSinkProbe>> metric_table();
  void collect(base::MetricsWriter& out, const base::Labels& labels) const {
    collect_metric_table(metric_table(), *this, out, labels);
  }

 private:
  base::Counter opened_files_, written_bytes_, write_errors_, invalid_utf8_events_;
};

}  // namespace sluice::sinks::file_roll
