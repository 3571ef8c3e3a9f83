// What the Avro sink did, for /metrics: methods named for what happened, written by the sink's
// thread; collect() on the admin thread, from the metric table.
#pragma once

#include <span>

#include "base/counter.h"
#include "sinks/common/metric_table.h"

namespace sluice::sinks::avro {

class AvroSinkProbe {
 public:
  void connection_created() { created_connections_.add(); }
  void connection_failed() { connection_failures_.add(); }
  void batch_acked(uint64_t events) {
    acked_batches_.add();
    sent_events_.add(events);
  }
  void batch_failed() { failed_batches_.add(); }

  static std::span<const MetricRow<AvroSinkProbe>> metric_table();
  void collect(base::MetricsWriter& out, const base::Labels& labels) const {
    collect_metric_table(metric_table(), *this, out, labels);
  }

 private:
  base::Counter acked_batches_, failed_batches_, sent_events_, created_connections_, connection_failures_;
};

}  // namespace sluice::sinks::avro
