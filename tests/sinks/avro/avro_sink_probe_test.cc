#include "sinks/avro/avro_sink_probe.h"

#include <gtest/gtest.h>

#include "tests/sinks/common/metric_table_checks.h"

namespace sluice::sinks::avro {
namespace {

TEST(AvroSinkProbe, TableFollowsTheNamingRule) {
  testing::expect_metric_table_follows_the_rules(AvroSinkProbe{}, "avro");
}

TEST(AvroSinkProbe, AnAckedBatchCountsItsEvents) {
  AvroSinkProbe probe;
  probe.batch_acked(7);
  probe.batch_acked(3);
  probe.batch_failed();
  probe.connection_created();
  probe.connection_failed();
  base::MetricsWriter out;
  probe.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_avro_sent_events_total"), 10);
  EXPECT_EQ(out.sum("sluice_sink_avro_acked_batches_total"), 2);
  EXPECT_EQ(out.sum("sluice_sink_avro_failed_batches_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_avro_created_connections_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_avro_connection_failures_total"), 1);
}

}  // namespace
}  // namespace sluice::sinks::avro
