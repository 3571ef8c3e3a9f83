#include "base/histogram.h"

#include <algorithm>

#include "base/assert.h"

namespace sluice::base {

Histogram::Histogram(std::span<const int64_t> upper_bounds)
    : upper_bounds_(upper_bounds), counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  SLUICE_ASSERT(std::is_sorted(upper_bounds.begin(), upper_bounds.end()), "histogram bounds must ascend");
  for (size_t i = 0; i <= upper_bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

size_t Histogram::bucket_of(int64_t value) const {
  return static_cast<size_t>(std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
                             upper_bounds_.begin());
}

}  // namespace sluice::base
