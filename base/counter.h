// Metric cells. A Counter or Gauge has exactly one writer thread (the shard or sink that owns
// it) and any number of readers (the admin thread scraping /metrics). Relaxed atomics make the
// cross-thread read well defined while compiling to plain loads and stores on x86: no locked
// instruction on the hot path.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::base {

class Counter {
 public:
  // Writer thread only.
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  // Any thread.
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  // Writer thread only.
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  // Any thread.
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

}  // namespace sluice::base
