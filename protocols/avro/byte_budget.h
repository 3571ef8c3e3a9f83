// Memory held for input that is not complete yet (the partial frames of a source's connections
// on one shard): a ByteBudget bounds the sum, a PartialBuffer is one connection's share of it.
//
// A PartialBuffer lives in its own anonymous mapping (mmap, grown with mremap, given back with
// munmap), not on the malloc heap: a shard thread's malloc arena keeps freed chunks of a few
// MiB for reuse, so a burst of large partial frames would stay in the process's RSS after
// their connections closed. A mapping's pages go back to the kernel the moment it is unmapped,
// and pages a peer never sent are never touched (they cost address space, not memory).
//
// Threads: a budget and its buffers belong to one shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::avro {

class ByteBudget {
 public:
  // Told of every change of held(), e.g. to keep a gauge (nullptr: nobody).
  using Observer = void (*)(void* context, int64_t delta);

  explicit ByteBudget(size_t bytes_max, Observer observer = nullptr, void* context = nullptr)
      : bytes_max_(bytes_max), observer_(observer), context_(context) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Takes `n` bytes if they fit, else takes nothing and returns false.
  bool try_take(size_t n) {
    if (n > bytes_max_ - held_) return false;
    held_ += n;
    if (observer_ != nullptr && n > 0) observer_(context_, static_cast<int64_t>(n));
    return true;
  }
  void give_back(size_t n);

  size_t held() const { return held_; }
  size_t bytes_max() const { return bytes_max_; }

 private:
  size_t bytes_max_;
  size_t held_ = 0;
  Observer observer_;
  void* context_;
};

class PartialBuffer {
 public:
  // `budget` may be nullptr (unbounded but for the caller's own limits).
  explicit PartialBuffer(ByteBudget* budget = nullptr) : budget_(budget) {}
  ~PartialBuffer() { release(); }
  PartialBuffer(PartialBuffer&& other) noexcept;
  PartialBuffer& operator=(PartialBuffer&& other) noexcept;
  PartialBuffer(const PartialBuffer&) = delete;
  PartialBuffer& operator=(const PartialBuffer&) = delete;

  enum class Grow : uint8_t {
    ok,
    over_budget,  // the budget has not that much left: nothing changed
    no_memory,    // mmap/mremap failed: nothing changed
  };
  // Makes room for at least `bytes`, keeping the contents, growing to at most `bytes_max`
  // (rounded up to pages); charges the growth to the budget first. `bytes` <= `bytes_max` is
  // the caller's to check. The mapping does not move when the kernel can extend it in place.
  Grow reserve(size_t bytes, size_t bytes_max);
  // Unmaps the buffer and gives its bytes back to the budget.
  void release();

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  ByteBudget* budget_;
  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace sluice::avro
