#include "protocols/avro/byte_budget.h"

#include <sys/mman.h>

#include <algorithm>
#include <utility>

#include "base/assert.h"

namespace sluice::avro {

namespace {

constexpr size_t kPageBytes = 4096;
// The first mapping (a typical Flume batch), and the most one growth step adds: growing by
// at most this much, rather than doubling, keeps the charge close to the bytes received.
constexpr size_t kInitialBytes = 64 * 1024;
constexpr size_t kStepBytesMax = size_t{8} << 20;

size_t round_to_pages(size_t n) { return (n + kPageBytes - 1) & ~(kPageBytes - 1); }

}  // namespace

void ByteBudget::give_back(size_t n) {
  SLUICE_ASSERT(n <= held_, "budget given back more than was taken");
  held_ -= n;
  if (observer_ != nullptr && n > 0) observer_(context_, -static_cast<int64_t>(n));
}

PartialBuffer::PartialBuffer(PartialBuffer&& other) noexcept
    : budget_(other.budget_),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

PartialBuffer& PartialBuffer::operator=(PartialBuffer&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

PartialBuffer::Grow PartialBuffer::reserve(size_t bytes, size_t bytes_max) {
  SLUICE_ASSERT(bytes <= bytes_max, "partial buffer reserve past its limit");
  if (bytes <= capacity_) return Grow::ok;
  size_t want = std::max({bytes, kInitialBytes, capacity_ + std::min(capacity_, kStepBytesMax)});
  want = std::min(round_to_pages(want), std::max(bytes, bytes_max));
  const size_t delta = want - capacity_;
  if (budget_ != nullptr && !budget_->try_take(delta)) return Grow::over_budget;
  void* p;
  if (data_ == nullptr) {
    p = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  } else {
    // mremap moves page tables, it never copies the bytes.
    p = ::mremap(data_, capacity_, want, MREMAP_MAYMOVE);
  }
  if (p == MAP_FAILED) {
    // Out of address space or map count: refused like an over-budget frame, never an abort.
    if (budget_ != nullptr) budget_->give_back(delta);
    return Grow::no_memory;
  }
  data_ = static_cast<char*>(p);
  capacity_ = want;
  return Grow::ok;
}

void PartialBuffer::release() {
  if (data_ == nullptr) return;
  ::munmap(data_, capacity_);
  if (budget_ != nullptr) budget_->give_back(capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace sluice::avro
