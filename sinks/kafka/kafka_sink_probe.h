// What the Kafka sink did, for /metrics: methods named for what happened, written by the
// sink's thread (produce, delivery reports and errors are all served there); collect() on the
// admin thread, from the metric table.
#pragma once

#include <cstdint>
#include <span>

#include "base/counter.h"
#include "sinks/common/metric_table.h"

namespace sluice::sinks::kafka {

class KafkaSinkProbe {
 public:
  void producer_created() { created_producers_.add(); }
  // The producer took an event (a retry counts again).
  void produced(uint64_t body_bytes) {
    sent_events_.add();
    sent_bytes_.add(body_bytes);
    in_flight_events_.add(1);
  }
  void produced_again() { retries_.add(); }
  void delivered(uint64_t body_bytes, int64_t latency_ns) {
    in_flight_events_.add(-1);
    acked_events_.add();
    acked_bytes_.add(body_bytes);
    delivery_ns_total_.add(static_cast<uint64_t>(latency_ns));
    if (latency_ns > delivery_ns_max_.value()) delivery_ns_max_.set(latency_ns);
  }
  // A delivery report that is not an acknowledgement.
  void delivery_reported_failed() { in_flight_events_.add(-1); }
  // A produce or delivery that failed and will be produced again.
  void delivery_failed() { failed_deliveries_.add(); }
  void dead_lettered() { dead_lettered_events_.add(); }
  void connection_failed() { connection_failures_.add(); }
  void invalid_utf8_event() { invalid_utf8_events_.add(); }

  static std::span<const MetricRow<KafkaSinkProbe>> metric_table();
  void collect(base::MetricsWriter& out, const base::Labels& labels) const {
    collect_metric_table(metric_table(), *this, out, labels);
  }

 private:
  base::Counter sent_events_, sent_bytes_, acked_events_, acked_bytes_, failed_deliveries_, retries_,
      dead_lettered_events_, connection_failures_, created_producers_, delivery_ns_total_, invalid_utf8_events_;
  base::Gauge in_flight_events_, delivery_ns_max_;
};

}  // namespace sluice::sinks::kafka
