#include "bench/cli/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

namespace sluice::bench {
namespace {

// A histogram is 36 KiB: keep them off the test's stack.
std::unique_ptr<LatencyHistogram> make() { return std::make_unique<LatencyHistogram>(); }

// The exact percentile of sorted samples, by the same rank rule (ceil(p% of n), from 1).
uint64_t exact(std::vector<uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-9));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  auto h = make();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->value_at_percentile(50), 0u);
  EXPECT_EQ(h->max_ns(), 0u);
  EXPECT_EQ(h->min_ns(), 0u);
  EXPECT_EQ(h->mean_ns(), 0.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  auto h = make();
  for (uint64_t v = 1; v <= 100; ++v) h->record(static_cast<int64_t>(v));
  EXPECT_EQ(h->value_at_percentile(50), 50u);
  EXPECT_EQ(h->value_at_percentile(99), 99u);
  EXPECT_EQ(h->value_at_percentile(99.9), 100u);
  EXPECT_EQ(h->value_at_percentile(100), 100u);
  EXPECT_EQ(h->value_at_percentile(1), 1u);
  EXPECT_DOUBLE_EQ(h->mean_ns(), 50.5);
  EXPECT_EQ(h->min_ns(), 1u);
}

TEST(LatencyHistogram, BucketsCoverEveryValueOnceAndStayNarrow) {
  // Bucket boundaries: every value maps to a bucket whose upper end is >= it and within 1/128.
  size_t last_bucket = 0;
  uint64_t last_upper = 0;
  for (uint64_t v = 0; v < 1'000'000; ++v) {
    size_t b = LatencyHistogram::bucket_of(v);
    ASSERT_GE(b, last_bucket);
    ASSERT_LE(b, last_bucket + 1) << v;
    uint64_t upper = LatencyHistogram::bucket_upper(b);
    ASSERT_GE(upper, v);
    if (b != last_bucket) {
      ASSERT_EQ(last_upper + 1, v) << "bucket " << b << " does not start after the last one";
    }
    ASSERT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0 + 1e-9) << v;
    last_bucket = b;
    last_upper = upper;
  }
  for (unsigned shift = 20; shift < 63; ++shift) {
    uint64_t v = (uint64_t{1} << shift) + 12345;
    size_t b = LatencyHistogram::bucket_of(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    if (shift <= LatencyHistogram::kMsbMax) {
      EXPECT_GE(LatencyHistogram::bucket_upper(b), v);
    }
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, PercentilesWithinABucketOfTheExactOnes) {
  std::mt19937_64 random(7);
  // Latency-like: mostly 20-60 us, a tail out to tens of ms.
  std::lognormal_distribution<double> body(std::log(35'000.0), 0.3);
  std::exponential_distribution<double> tail(1.0 / 5'000'000.0);
  std::vector<uint64_t> samples;
  auto h = make();
  for (int i = 0; i < 200'000; ++i) {
    uint64_t v = static_cast<uint64_t>(i % 100 == 0 ? tail(random) : body(random));
    samples.push_back(v);
    h->record(static_cast<int64_t>(v));
  }
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    uint64_t want = exact(samples, p);
    uint64_t got = h->value_at_percentile(p);
    EXPECT_GE(got, want) << p;  // the bucket's upper end
    EXPECT_LE(static_cast<double>(got), static_cast<double>(want) * (1 + 1.0 / 128)) << p;
  }
  EXPECT_EQ(h->max_ns(), *std::max_element(samples.begin(), samples.end()));
  EXPECT_EQ(h->value_at_percentile(100), h->max_ns());
}

TEST(LatencyHistogram, HugeAndNegativeValuesAreClamped) {
  auto h = make();
  h->record(-5);
  h->record(INT64_MAX);
  EXPECT_EQ(h->count(), 2u);
  EXPECT_EQ(h->min_ns(), 0u);
  EXPECT_EQ(h->max_ns(), static_cast<uint64_t>(INT64_MAX));
  EXPECT_EQ(h->value_at_percentile(50), 0u);
  // The top bucket's upper end is far below INT64_MAX; max() caps nothing here.
  EXPECT_EQ(h->value_at_percentile(100), LatencyHistogram::bucket_upper(LatencyHistogram::kBuckets - 1));
}

TEST(LatencyHistogram, MergeAddsUp) {
  auto a = make();
  auto b = make();
  for (int i = 1; i <= 1000; ++i) a->record(i * 1000);
  for (int i = 1001; i <= 2000; ++i) b->record(i * 1000);
  a->merge(*b);
  EXPECT_EQ(a->count(), 2000u);
  EXPECT_EQ(a->max_ns(), 2'000'000u);
  EXPECT_EQ(a->min_ns(), 1000u);
  EXPECT_NEAR(static_cast<double>(a->value_at_percentile(50)), 1'000'000, 1'000'000 / 128.0);
  EXPECT_NEAR(static_cast<double>(a->value_at_percentile(99.9)), 1'998'000, 1'998'000 / 128.0);
  EXPECT_DOUBLE_EQ(a->mean_ns(), 1'000'500.0);
}

}  // namespace
}  // namespace sluice::bench
