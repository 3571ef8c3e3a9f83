#include "bench/cli/latency_histogram.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace sluice::bench {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << LatencyHistogram::kSubBucketBits;
constexpr uint64_t kTrackedMax = (uint64_t{2} << LatencyHistogram::kMsbMax) - 1;

}  // namespace

size_t LatencyHistogram::bucket_of(uint64_t v) {
  if (v < kLinearBuckets) return static_cast<size_t>(v);
  v = std::min(v, kTrackedMax);
  const unsigned msb = 63 - static_cast<unsigned>(__builtin_clzll(v));
  const unsigned shift = msb - kSubBucketBits;  // >= 1 here
  const uint64_t mantissa = v >> shift;         // kSubBuckets .. 2 * kSubBuckets - 1
  return kLinearBuckets + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets);
}

uint64_t LatencyHistogram::bucket_upper(size_t bucket) {
  SLUICE_ASSERT(bucket < kBuckets, "bucket out of range");
  if (bucket < kLinearBuckets) return bucket;
  const size_t above = bucket - kLinearBuckets;
  const unsigned shift = static_cast<unsigned>(above / kSubBuckets) + 1;
  const uint64_t mantissa = kSubBuckets + above % kSubBuckets;
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

uint64_t LatencyHistogram::value_at_percentile(double percentile) const {
  SLUICE_ASSERT(percentile > 0 && percentile <= 100, "percentile outside (0, 100]");
  if (count_ == 0) return 0;
  // The rank of the sample, from 1; the small epsilon keeps 99.9% of 1000 at 999, not 1000,
  // when the product comes out a hair above the integer.
  const double exact = percentile / 100.0 * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(bucket_upper(i), max_);
  }
  SLUICE_UNREACHABLE("histogram counts do not add up to count()");
}

}  // namespace sluice::bench
