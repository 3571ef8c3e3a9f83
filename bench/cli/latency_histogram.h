// Latency percentiles without storing samples: a log-linear histogram in the manner of
// HdrHistogram. Values below 256 ns have a bucket each; above, every power of two is split into
// 128 buckets, so a bucket is never wider than 1/128 (0.8%) of its values. record() is a few
// instructions and never allocates: the counts are one fixed array (35 KiB), allocated with
// the connection that owns it.
//
// Threads: a LatencyHistogram belongs to one connection thread; merge() after the threads end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::bench {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;  // 128 buckets per power of two
  // The largest tracked value is 2^(kMsbMax + 1) - 1 ns (about 73 minutes); larger values are
  // counted in the top bucket (max() still reports them exactly).
  static constexpr unsigned kMsbMax = 41;
  static constexpr size_t kLinearBuckets = size_t{2} << kSubBucketBits;  // 0..255 ns, one each
  static constexpr size_t kBuckets = kLinearBuckets + (kMsbMax - kSubBucketBits) * (size_t{1} << kSubBucketBits);

  // Counts one sample; negative values count as 0.
  void record(int64_t ns) {
    const uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
    ++counts_[bucket_of(v)];
    ++count_;
    sum_ += v;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return count_ ? max_ : 0; }
  uint64_t min_ns() const { return count_ ? min_ : 0; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }

  // The value at `percentile` (0 < percentile <= 100): the upper end of the bucket holding the
  // sample of rank ceil(percentile% of count()), as HdrHistogram reports it ("highest
  // equivalent value"), but never above max_ns(). 0 when empty.
  uint64_t value_at_percentile(double percentile) const;

  // The bucket of `v` and the largest value that bucket holds (for tests).
  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_upper(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  unsigned __int128 sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace sluice::bench
