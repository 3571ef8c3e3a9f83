// A histogram metric cell: counts of values in fixed buckets, with their sum, in the manner of
// a Prometheus histogram. Like Counter, it has exactly one writer thread (the sink or shard
// that owns it) and any number of readers (the admin thread scraping /metrics); relaxed atomics
// make the cross-thread reads well defined and compile to plain loads and stores on x86.
//
// The bucket bounds are fixed at construction (the only allocation); record() never allocates.
// A reader sees each count as of some moment, not all counts as of one moment: a scrape racing
// a record() may be off by that record, which Prometheus tolerates.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

namespace sluice::base {

class Histogram {
 public:
  // `upper_bounds` ascending; a value v lands in the first bucket whose bound is >= v, or in
  // the +Inf bucket after them. The span must outlive the histogram (a constant table).
  explicit Histogram(std::span<const int64_t> upper_bounds);

  // Writer thread only. Counts `n` values equal to `value`.
  void record(int64_t value, uint64_t n = 1) {
    auto& cell = counts_[bucket_of(value)];
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + value * static_cast<int64_t>(n), std::memory_order_relaxed);
  }

  // Any thread.
  std::span<const int64_t> upper_bounds() const { return upper_bounds_; }
  // Values in bucket i alone (not cumulative); i == upper_bounds().size() is +Inf.
  uint64_t bucket_count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  int64_t sum() const { return sum_.load(std::memory_order_relaxed); }

  size_t bucket_of(int64_t value) const;

 private:
  std::span<const int64_t> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<int64_t> sum_{0};
};

}  // namespace sluice::base
