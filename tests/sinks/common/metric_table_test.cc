// The metric naming rule, sluice_sink_<type>_<what happened>_<unit>[_total].
#include "sinks/common/metric_table.h"

#include <gtest/gtest.h>

namespace sluice::sinks {
namespace {

constexpr auto counter = base::MetricType::counter;
constexpr auto gauge = base::MetricType::gauge;

TEST(MetricNames, WhatHappenedComesBeforeTheUnit) {
  EXPECT_EQ(metric_name_problem("sluice_sink_kafka_sent_events_total", "kafka", counter), "");
  EXPECT_EQ(metric_name_problem("sluice_sink_hdfs_written_bytes_total", "hdfs", counter), "");
  EXPECT_EQ(metric_name_problem("sluice_sink_file_roll_opened_files_total", "file_roll", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_avro_events_sent_total", "avro", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_hdfs_files_opened_total", "hdfs", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_hdfs_bytes_written_total", "hdfs", counter), "");
}

TEST(MetricNames, CountersEndInTotalAndGaugesDoNot) {
  EXPECT_NE(metric_name_problem("sluice_sink_kafka_sent_events", "kafka", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_kafka_in_flight_events_total", "kafka", gauge), "");
  EXPECT_EQ(metric_name_problem("sluice_sink_kafka_in_flight_events", "kafka", gauge), "");
  EXPECT_EQ(metric_name_problem("sluice_sink_kafka_delivery_seconds_max", "kafka", gauge), "");
}

TEST(MetricNames, TheSinkTypeFollowsThePrefix) {
  EXPECT_NE(metric_name_problem("sluice_sink_opened_files_total", "file_roll", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_hdfs_written_events_total", "kafka", counter), "");
  // The metrics every sink shares have no type.
  EXPECT_EQ(metric_name_problem("sluice_sink_invalid_utf8_events_total", "", counter), "");
  EXPECT_NE(metric_name_problem("sluice_sink_Kafka_sent_events_total", "", counter), "");
}

}  // namespace
}  // namespace sluice::sinks
