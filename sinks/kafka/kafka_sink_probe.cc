#include "sinks/kafka/kafka_sink_probe.h"

#include <array>

#include "sinks/common/event_format.h"

namespace sluice::sinks::kafka {

std::span<const MetricRow<KafkaSinkProbe>> KafkaSinkProbe::metric_table() {
  using P = KafkaSinkProbe;
  constexpr auto counter = base::MetricType::counter;
  constexpr auto gauge = base::MetricType::gauge;
  static constexpr std::array<MetricRow<P>, 13> kRows = {{
      {"sluice_sink_kafka_sent_events_total", counter, "Events handed to the Kafka producer (retries included).",
       [](const P& p) { return static_cast<double>(p.sent_events_.value()); }},
      {"sluice_sink_kafka_sent_bytes_total", counter, "Body bytes handed to the Kafka producer.",
       [](const P& p) { return static_cast<double>(p.sent_bytes_.value()); }},
      {"sluice_sink_kafka_acked_events_total", counter, "Events Kafka confirmed.",
       [](const P& p) { return static_cast<double>(p.acked_events_.value()); }},
      {"sluice_sink_kafka_acked_bytes_total", counter, "Body bytes Kafka confirmed.",
       [](const P& p) { return static_cast<double>(p.acked_bytes_.value()); }},
      {"sluice_sink_kafka_failed_deliveries_total", counter, "Deliveries that failed and were produced again.",
       [](const P& p) { return static_cast<double>(p.failed_deliveries_.value()); }},
      {"sluice_sink_kafka_retries_total", counter, "Events produced again after a failed delivery.",
       [](const P& p) { return static_cast<double>(p.retries_.value()); }},
      {"sluice_sink_kafka_dead_lettered_events_total", counter,
       "Events Kafka refused for good, dropped or written to the dead-letter file.",
       [](const P& p) { return static_cast<double>(p.dead_lettered_events_.value()); }},
      {"sluice_sink_kafka_connection_failures_total", counter, "Broker connection failures reported by librdkafka.",
       [](const P& p) { return static_cast<double>(p.connection_failures_.value()); }},
      {"sluice_sink_kafka_created_producers_total", counter, "Kafka producers created (more than 1: fatal errors).",
       [](const P& p) { return static_cast<double>(p.created_producers_.value()); }},
      {kInvalidUtf8EventsMetric, counter, kInvalidUtf8EventsHelp,
       [](const P& p) { return static_cast<double>(p.invalid_utf8_events_.value()); }},
      {"sluice_sink_kafka_in_flight_events", gauge, "Events produced and not confirmed yet.",
       [](const P& p) { return static_cast<double>(p.in_flight_events_.value()); }},
      {"sluice_sink_kafka_delivery_seconds_total", counter, "Sum of the times from produce to confirmation.",
       [](const P& p) { return static_cast<double>(p.delivery_ns_total_.value()) / 1e9; }},
      {"sluice_sink_kafka_delivery_seconds_max", gauge, "Longest time from produce to confirmation since start.",
       [](const P& p) { return static_cast<double>(p.delivery_ns_max_.value()) / 1e9; }},
  }};
  return kRows;
}

}  // namespace sluice::sinks::kafka
