// A growable byte buffer that keeps `padding` readable bytes past its end, so that a body
// stored here can be handed to simdjson without a copy (SIMDJSON_PADDING). Capacity only grows
// (up to a limit the owner checks) and is kept across reuse: once warmed up, no allocation.
//
// Threads: owned by one object on one shard thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "base/assert.h"

namespace sluice::http {

// Bytes that must stay readable after every body passed to the event decoders.
inline constexpr size_t kBodyPaddingBytes = 64;

// An empty body that still has its readable padding.
alignas(64) inline constexpr char kEmptyPaddedBytes[kBodyPaddingBytes] = {};

class PaddedBuffer {
 public:
  explicit PaddedBuffer(size_t padding = kBodyPaddingBytes) : padding_(padding) {}
  PaddedBuffer(PaddedBuffer&&) = default;
  PaddedBuffer& operator=(PaddedBuffer&&) = default;

  // Makes room for `bytes` in total (contents kept), plus the padding. Grows to at least
  // twice the old capacity, but never beyond `bytes_max`; callers check bytes <= bytes_max.
  void reserve(size_t bytes, size_t bytes_max) {
    if (bytes <= capacity_) return;
    SLUICE_ASSERT(bytes <= bytes_max, "PaddedBuffer grown past its limit");
    const size_t grown = std::min(std::max(bytes, capacity_ * 2), bytes_max);
    auto fresh = std::make_unique_for_overwrite<char[]>(grown + padding_);
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    // The padding is read (never interpreted) by SIMD loads: give it defined contents once.
    std::memset(fresh.get() + grown, 0, padding_);
    data_ = std::move(fresh);
    capacity_ = grown;
  }
  // Appends bytes that reserve() made room for.
  void append(const char* bytes, size_t n) {
    SLUICE_ASSERT(size_ + n <= capacity_, "PaddedBuffer append without reserve");
    if (n > 0) std::memcpy(data_.get() + size_, bytes, n);
    size_ += n;
  }
  // Space to write into directly (inflate): up to capacity() - size() bytes at tail().
  char* tail() { return data_.get() + size_; }
  void commit(size_t n) {
    SLUICE_ASSERT(size_ + n <= capacity_, "PaddedBuffer commit past capacity");
    size_ += n;
  }
  void clear() { size_ = 0; }
  // Frees the allocation (an idle connection after a large request).
  void release() {
    data_.reset();
    size_ = capacity_ = 0;
  }

  // The contents; the padding after them is readable (also when nothing was ever stored).
  std::string_view view() const {
    return data_ ? std::string_view(data_.get(), size_) : std::string_view(kEmptyPaddedBytes, 0);
  }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t padding() const { return padding_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t padding_;
};

}  // namespace sluice::http
