#include "sinks/avro/avro_sink_probe.h"

#include <array>

namespace sluice::sinks::avro {

std::span<const MetricRow<AvroSinkProbe>> AvroSinkProbe::metric_table() {
  using P = AvroSinkProbe;
  constexpr auto counter = base::MetricType::counter;
  static constexpr std::array<MetricRow<P>, 5> kRows = {{
      {"sluice_sink_avro_acked_batches_total", counter, "Batches the next tier answered OK.",
       [](const P& p) { return static_cast<double>(p.acked_batches_.value()); }},
      {"sluice_sink_avro_failed_batches_total", counter, "Batches that failed (FAILED, errors, timeouts); retried.",
       [](const P& p) { return static_cast<double>(p.failed_batches_.value()); }},
      {"sluice_sink_avro_sent_events_total", counter, "Events the next tier acknowledged.",
       [](const P& p) { return static_cast<double>(p.sent_events_.value()); }},
      {"sluice_sink_avro_created_connections_total", counter, "Connections made to the next tier.",
       [](const P& p) { return static_cast<double>(p.created_connections_.value()); }},
      {"sluice_sink_avro_connection_failures_total", counter, "Failed connection attempts.",
       [](const P& p) { return static_cast<double>(p.connection_failures_.value()); }},
  }};
  return kRows;
}

}  // namespace sluice::sinks::avro
