// Where a log's segments live. The Log calls every method from its producer (shard) thread only.
// MemorySegmentStore keeps segments in anonymous memory (the memory channel); issue "durable
// channel" adds a store of mmap'd files behind the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "server/base/result.h"

namespace sluice::ringbuf {

class SegmentStore {
 public:
  virtual ~SegmentStore() = default;

  // Bytes of every segment.
  virtual uint32_t segment_bytes() const = 0;
  // Maps segment `index` for appending. Its bytes need not be zero: readers only read what the
  // log has published.
  virtual Result<std::byte*> open_segment(uint64_t index) = 0;
  // Every cursor has passed segment `index`: drop it, or keep it for reuse.
  virtual void release_segment(uint64_t index, std::byte* base) = 0;
};

class MemorySegmentStore final : public SegmentStore {
 public:
  // Keeps up to `spare_max` released segments mapped for reuse so that a steady stream does not
  // mmap and munmap a segment per roll. Sanitizer builds keep none: every released segment is
  // unmapped, so that a reader touching bytes after committing them faults at once.
  explicit MemorySegmentStore(uint32_t segment_bytes, size_t spare_max = kDefaultSpareMax);

#ifdef SLUICE_SANITIZE_BUILD
  static constexpr size_t kDefaultSpareMax = 0;
#else
  static constexpr size_t kDefaultSpareMax = 2;
#endif
  ~MemorySegmentStore() override;

  uint32_t segment_bytes() const override { return segment_bytes_; }
  Result<std::byte*> open_segment(uint64_t index) override;
  void release_segment(uint64_t index, std::byte* base) override;

 private:
  uint32_t segment_bytes_;
  size_t spare_max_;
  std::vector<std::byte*> spare_;
};

}  // namespace sluice::ringbuf
