#include "base/metrics.h"

#include <array>

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

TEST(MetricsWriter, GroupsFamiliesWithHelpAndType) {
  MetricsWriter w;
  w.counter("sluice_a_total", "A things.", {{"shard", "0"}}, 3);
  w.gauge("sluice_b", "B level.", {}, 0.5);
  w.counter("sluice_a_total", "A things.", {{"shard", "1"}}, 4);
  EXPECT_EQ(w.text(),
            "# HELP sluice_a_total A things.\n# TYPE sluice_a_total counter\n"
            "sluice_a_total{shard=\"0\"} 3\nsluice_a_total{shard=\"1\"} 4\n"
            "# HELP sluice_b B level.\n# TYPE sluice_b gauge\nsluice_b 0.5\n");
  EXPECT_EQ(w.sum("sluice_a_total"), 7);
  EXPECT_EQ(w.sum("sluice_a_total", {{"shard", "1"}}), 4);
  EXPECT_EQ(w.sum("missing"), 0);
}

TEST(MetricsWriter, WritesAHistogramAsCumulativeBucketsSumAndCount) {
  static constexpr std::array<int64_t, 2> kBoundsUs = {1000, 250000};
  Histogram h(kBoundsUs);
  h.record(500, 2);
  h.record(2000);
  h.record(9'000'000);
  MetricsWriter w;
  w.histogram("sluice_age_seconds", "Age.", {{"component", "k"}}, h, 1e6);
  EXPECT_EQ(w.text(),
            "# HELP sluice_age_seconds Age.\n# TYPE sluice_age_seconds histogram\n"
            "sluice_age_seconds_bucket{component=\"k\",le=\"0.001\"} 2\n"
            "sluice_age_seconds_bucket{component=\"k\",le=\"0.25\"} 3\n"
            "sluice_age_seconds_bucket{component=\"k\",le=\"+Inf\"} 4\n"
            "sluice_age_seconds_sum{component=\"k\"} 9.003\n"
            "sluice_age_seconds_count{component=\"k\"} 4\n");
  EXPECT_EQ(w.sum("sluice_age_seconds_count"), 4);
  EXPECT_EQ(w.sum("sluice_age_seconds_bucket", {{"le", "0.25"}}), 3);
  EXPECT_EQ(w.sum("sluice_age_seconds"), 0);  // a histogram has no sample by its bare name
}

TEST(MetricsWriter, HistogramBoundsInSecondsReadAsWritten) {
  static constexpr std::array<int64_t, 4> kBoundsUs = {50'000, 100'000, 200'000, 7'500'000};
  Histogram h(kBoundsUs);
  MetricsWriter w;
  w.histogram("a_seconds", "A.", {}, h, 1e6);
  for (const char* le : {"le=\"0.05\"", "le=\"0.1\"", "le=\"0.2\"", "le=\"7.5\""})
    EXPECT_NE(w.text().find(le), std::string::npos) << le << " in\n" << w.text();
}

TEST(MetricsWriter, EscapesLabelValues) {
  MetricsWriter w;
  w.gauge("g", "h", {{"component", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(w.text().find("g{component=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << w.text();
}

TEST(MetricsRegistry, CollectsEveryRegisteredSource) {
  MetricsRegistry r;
  r.add([](MetricsWriter& w) { w.counter("x_total", "x", {}, 1); });
  r.add([](MetricsWriter& w) { w.counter("x_total", "x", {{"k", "v"}}, 2); });
  MetricsWriter w;
  r.collect_all(w);
  EXPECT_EQ(w.sum("x_total"), 3);
}

}  // namespace
}  // namespace sluice::base
