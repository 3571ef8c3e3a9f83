#include "bench/cli/delivery_latency.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/histogram.h"
#include "base/metrics.h"

namespace sluice::bench {
namespace {

// Two sinks' histograms as sluice writes them (bounds in microseconds, exposed in seconds).
constexpr int64_t kBoundsUs[] = {1'000, 2'000, 5'000, 10'000};

std::string exposition(const base::Histogram& k1, const base::Histogram& k2) {
  base::MetricsWriter w;
  w.histogram("sluice_sink_event_age_seconds", "Age.", {{"component", "k1"}, {"type", "null"}}, k1, 1e6);
  w.histogram("sluice_sink_event_age_seconds", "Age.", {{"component", "k2"}, {"type", "kafka"}}, k2, 1e6);
  w.gauge("sluice_channel_size_events", "Size.", {{"component", "c1"}}, 0);
  return w.text();
}

TEST(ParsePrometheusHistogram, SumsEveryLabelSetPerBound) {
  base::Histogram k1(kBoundsUs), k2(kBoundsUs);
  k1.record(500, 10);    // <= 1 ms
  k1.record(4'000, 5);   // <= 5 ms
  k2.record(1'500, 3);   // <= 2 ms
  k2.record(60'000, 2);  // +Inf
  auto h = parse_prometheus_histogram(exposition(k1, k2), kEventAgeMetric);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->upper_bounds.size(), 5u);
  EXPECT_DOUBLE_EQ(h->upper_bounds[0], 0.001);
  EXPECT_TRUE(std::isinf(h->upper_bounds[4]));
  EXPECT_EQ(h->counts, (std::vector<double>{10, 13, 18, 18, 20}));
  EXPECT_DOUBLE_EQ(h->count, 20);
  EXPECT_NEAR(h->sum, (5'000 + 20'000 + 4'500 + 120'000) * 1e-6, 1e-9);
}

TEST(ParsePrometheusHistogram, AbsentIsEmptyAndMalformedIsAnError) {
  auto absent = parse_prometheus_histogram("sluice_x_total 3\n", kEventAgeMetric);
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->empty());
  auto no_le = parse_prometheus_histogram("h_bucket{component=\"a\"} 3\n", "h");
  ASSERT_FALSE(no_le.ok());
  EXPECT_NE(no_le.error().message.find("le label"), std::string::npos) << no_le.error().message;
  auto no_inf = parse_prometheus_histogram("h_bucket{le=\"1\"} 3\nh_sum 1\nh_count 3\n", "h");
  ASSERT_FALSE(no_inf.ok());
  EXPECT_NE(no_inf.error().message.find("+Inf"), std::string::npos);
  auto bad_bound = parse_prometheus_histogram("h_bucket{le=\"x\"} 3\n", "h");
  ASSERT_FALSE(bad_bound.ok());
  EXPECT_NE(bad_bound.error().message.find("le=\"x\""), std::string::npos) << bad_bound.error().message;
  auto mismatched = parse_prometheus_histogram(
      "h_bucket{c=\"a\",le=\"1\"} 1\nh_bucket{c=\"a\",le=\"+Inf\"} 1\n"
      "h_bucket{c=\"b\",le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
      "h");
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("different bucket bounds"), std::string::npos);
}

TEST(HistogramGrowth, SubtractsTheBaselineAndRefusesAReset) {
  base::Histogram k1(kBoundsUs), k2(kBoundsUs);
  k1.record(500, 10);
  auto before = parse_prometheus_histogram(exposition(k1, k2), kEventAgeMetric);
  k1.record(7'000, 4);
  k2.record(500, 6);
  auto after = parse_prometheus_histogram(exposition(k1, k2), kEventAgeMetric);
  ASSERT_TRUE(before.ok() && after.ok());
  auto growth = histogram_growth(after.value(), before.value());
  ASSERT_TRUE(growth.ok());
  EXPECT_EQ(growth->counts, (std::vector<double>{6, 6, 6, 10, 10}));
  EXPECT_DOUBLE_EQ(growth->count, 10);
  auto backwards = histogram_growth(before.value(), after.value());
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.error().message.find("restarted"), std::string::npos);
  auto from_nothing = histogram_growth(after.value(), CumulativeBuckets{});
  ASSERT_TRUE(from_nothing.ok());
  EXPECT_DOUBLE_EQ(from_nothing->count, 20);
}

TEST(HistogramQuantile, InterpolatesWithinTheBucketAsPrometheusDoes) {
  CumulativeBuckets h;
  h.upper_bounds = {0.001, 0.002, 0.005, INFINITY};
  h.counts = {50, 90, 99, 100};
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.5), 0.001);    // rank 50: the top of the first bucket
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.25), 0.0005);  // half way into the first, from 0
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.7), 0.0015);   // half way from 50 to 90
  EXPECT_DOUBLE_EQ(*histogram_quantile(h, 0.99), 0.005);
  EXPECT_TRUE(std::isinf(*histogram_quantile(h, 0.995)));  // in +Inf
  EXPECT_FALSE(histogram_quantile(CumulativeBuckets{}, 0.5).has_value());
  h.counts = {0, 0, 0, 0};
  EXPECT_FALSE(histogram_quantile(h, 0.5).has_value());
}

TEST(DeliveryLatency, ReportsPercentilesAndMeanInMilliseconds) {
  CumulativeBuckets h;
  h.upper_bounds = {0.001, 0.002, 0.005, INFINITY};
  h.counts = {500, 900, 1000, 1000};
  h.count = 1000;
  h.sum = 1.5;  // seconds over 1000 events
  auto d = delivery_latency(h);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->events, 1000u);
  EXPECT_DOUBLE_EQ(d->p50_ms, 1.0);
  EXPECT_DOUBLE_EQ(d->p90_ms, 2.0);
  EXPECT_NEAR(d->p99_ms, 2.0 + 3.0 * 90 / 100, 1e-9);
  EXPECT_DOUBLE_EQ(d->mean_ms, 1.5);
  EXPECT_DOUBLE_EQ(d->largest_bound_ms, 5.0);
  EXPECT_DOUBLE_EQ(d->resolution_ms, 1.0);
  h.counts = {0, 0, 0, 0};
  EXPECT_FALSE(delivery_latency(h).has_value());
}

}  // namespace
}  // namespace sluice::bench
