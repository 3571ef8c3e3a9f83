// What the HDFS sink did, for /metrics: methods named for what happened, written by the sink's
// thread; collect() on the admin thread, from the metric table.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/counter.h"
#include "sinks/common/metric_table.h"
#include "sinks/hdfs/file_system.h"

namespace sluice::sinks::hdfs {

// What closed a file.
enum class RollReason : uint8_t { count, size, interval, idle, max_open_files, stop, kCount };
std::string_view roll_reason_name(RollReason reason);

class HdfsSinkProbe {
 public:
  static constexpr size_t kFsErrorKinds = static_cast<size_t>(FsErrorKind::unsupported) + 1;

  void file_opened(size_t open_now) {
    opened_files_.add();
    open_files_.set(static_cast<int64_t>(open_now));
  }
  void file_rolled(RollReason reason, size_t open_now) {
    rolls_[static_cast<size_t>(reason)].add();
    open_files_.set(static_cast<int64_t>(open_now));
  }
  void file_closed() { closed_files_.add(); }
  void leftover_file_closed() { closed_leftover_files_.add(); }
  void event_unplaceable() { unplaceable_events_.add(); }
  void invalid_utf8_events(uint64_t n) { invalid_utf8_events_.add(n); }
  void bytes_written(uint64_t n) { written_bytes_.add(n); }
  void pending_bytes(uint64_t n) { pending_bytes_.set(static_cast<int64_t>(n)); }
  // Every pending byte was acknowledged: `events` more are in files for good.
  void committed(uint64_t events) {
    written_events_.add(events);
    commits_.add();
  }
  void fs_error(FsErrorKind kind) { errors_[static_cast<size_t>(kind)].add(); }

  static std::span<const MetricRow<HdfsSinkProbe>> metric_table();
  void collect(base::MetricsWriter& out, const base::Labels& labels) const {
    collect_metric_table(metric_table(), *this, out, labels);
  }

 private:
  base::Counter written_events_, written_bytes_, opened_files_, closed_files_, commits_, unplaceable_events_,
      closed_leftover_files_, invalid_utf8_events_;
  std::array<base::Counter, static_cast<size_t>(RollReason::kCount)> rolls_;
  std::array<base::Counter, kFsErrorKinds> errors_;
  base::Gauge open_files_, pending_bytes_;
};

}  // namespace sluice::sinks::hdfs
