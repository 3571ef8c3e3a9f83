#include "sinks/file_roll/file_roll_sink_probe.h"

#include <gtest/gtest.h>

#include "tests/sinks/common/metric_table_checks.h"

namespace sluice::sinks::file_roll {
namespace {

TEST(FileRollSinkProbe, TableFollowsTheNamingRule) {
  testing::expect_metric_table_follows_the_rules(FileRollSinkProbe{}, "file_roll");
}

TEST(FileRollSinkProbe, WhatHappenedIsCounted) {
  FileRollSinkProbe probe;
  probe.file_opened();
  probe.bytes_written(100);
  probe.bytes_written(23);
  probe.write_failed();
  probe.invalid_utf8_event();
  base::MetricsWriter out;
  probe.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_file_roll_opened_files_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_file_roll_written_bytes_total"), 123);
  EXPECT_EQ(out.sum("sluice_sink_file_roll_write_errors_total"), 1);
  EXPECT_EQ(out.sum("sluice_sink_invalid_utf8_events_total"), 1);
}

}  // namespace
}  // namespace sluice::sinks::file_roll
