#include "base/histogram.h"

#include <array>

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

constexpr std::array<int64_t, 3> kBounds = {10, 20, 50};

TEST(Histogram, ValueLandsInFirstBucketWhoseBoundIsAtLeastIt) {
  Histogram h(kBounds);
  EXPECT_EQ(h.bucket_of(-5), 0u);
  EXPECT_EQ(h.bucket_of(10), 0u);
  EXPECT_EQ(h.bucket_of(11), 1u);
  EXPECT_EQ(h.bucket_of(50), 2u);
  EXPECT_EQ(h.bucket_of(51), 3u);  // +Inf
}

TEST(Histogram, CountsAndSumsRecordedValues) {
  Histogram h(kBounds);
  h.record(5);
  h.record(15, 3);
  h.record(1000);
  EXPECT_EQ(h.bucket_count(0), 1u);
  EXPECT_EQ(h.bucket_count(1), 3u);
  EXPECT_EQ(h.bucket_count(2), 0u);
  EXPECT_EQ(h.bucket_count(3), 1u);
  EXPECT_EQ(h.sum(), 5 + 45 + 1000);
}

}  // namespace
}  // namespace sluice::base
