#include "sinks/hdfs/hdfs_sink_probe.h"

#include <gtest/gtest.h>

#include "tests/sinks/common/metric_table_checks.h"

namespace sluice::sinks::hdfs {
namespace {

TEST(HdfsSinkProbe, TableFollowsTheNamingRule) {
  testing::expect_metric_table_follows_the_rules(HdfsSinkProbe{}, "hdfs");
}

TEST(HdfsSinkProbe, RollsAndErrorsAreLabelledByWhy) {
  HdfsSinkProbe probe;
  probe.file_opened(1);
  probe.file_opened(2);
  probe.file_rolled(RollReason::idle, 1);
  probe.fs_error(FsErrorKind::remote);
  probe.fs_error(FsErrorKind::remote);
  probe.committed(40);
  base::MetricsWriter out;
  probe.collect(out, {});
  EXPECT_EQ(out.sum("sluice_sink_hdfs_opened_files_total"), 2);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_open_files"), 1);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_rolls_total", {{"reason", "idle"}}), 1);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_rolls_total", {{"reason", "size"}}), 0);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_errors_total", {{"kind", "remote"}}), 2);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_errors_total"), 2);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_written_events_total"), 40);
  EXPECT_EQ(out.sum("sluice_sink_hdfs_commits_total"), 1);
  // Every reason and every kind has its series, zero or not.
  size_t series = 0;
  out.for_each("sluice_sink_hdfs_errors_total", [&](const base::Labels&, double) { ++series; });
  EXPECT_EQ(series, HdfsSinkProbe::kFsErrorKinds);
}

TEST(HdfsSinkProbe, RollReasonNames) {
  EXPECT_EQ(roll_reason_name(RollReason::count), "count");
  EXPECT_EQ(roll_reason_name(RollReason::max_open_files), "max_open_files");
  EXPECT_EQ(roll_reason_name(RollReason::stop), "stop");
}

}  // namespace
}  // namespace sluice::sinks::hdfs
