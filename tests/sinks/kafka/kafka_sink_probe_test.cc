#include "sinks/kafka/kafka_sink_probe.h"

#include <gtest/gtest.h>

#include "tests/sinks/common/metric_table_checks.h"

namespace sluice::sinks::kafka {
namespace {

TEST(KafkaSinkProbe, TableFollowsTheNamingRule) {
  testing::expect_metric_table_follows_the_rules(KafkaSinkProbe{}, "kafka");
}

TEST(KafkaSinkProbe, InFlightFollowsProducedAndReportedEvents) {
  KafkaSinkProbe probe;
  probe.produced(10);
  probe.produced(20);
  probe.produced(30);
  probe.delivered(10, 2'000'000'000);
  probe.delivered(20, 500'000'000);
  probe.delivery_reported_failed();
  probe.delivery_failed();
  probe.produced_again();
  base::MetricsWriter out;
  probe.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_kafka_sent_events_total"), 3);
  EXPECT_EQ(out.sum("sluice_sink_kafka_sent_bytes_total"), 60);
  EXPECT_EQ(out.sum("sluice_sink_kafka_acked_events_total"), 2);
  EXPECT_EQ(out.sum("sluice_sink_kafka_acked_bytes_total"), 30);
  EXPECT_EQ(out.sum("sluice_sink_kafka_in_flight_events"), 0);
  EXPECT_EQ(out.sum("sluice_sink_kafka_failed_deliveries_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_kafka_retries_total"), 1);
  EXPECT_DOUBLE_EQ(out.sum("sluice_sink_kafka_delivery_seconds_total"), 2.5);
  EXPECT_DOUBLE_EQ(out.sum("sluice_sink_kafka_delivery_seconds_max"), 2.0);
}

}  // namespace
}  // namespace sluice::sinks::kafka
