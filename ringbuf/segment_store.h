// Where a log's segments live. The Log calls every method from its producer (shard) thread only.
// MemorySegmentStore keeps segments in anonymous memory (the memory channel); FileSegmentStore
// (file_segment_store.h) keeps them in preallocated, mmap'd files (the file channel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "base/result.h"

namespace sluice::ringbuf {

class SegmentStore {
 public:
  virtual ~SegmentStore() = default;

  // Bytes of every segment.
  virtual uint32_t segment_bytes() const = 0;
  // Bytes at the start of every segment that are the store's own (a file header); the first
  // record of segment k is at position k * segment_bytes() + header_bytes().
  virtual uint32_t header_bytes() const { return 0; }
  // Maps segment `index` for appending (creating it if needed; its first record will carry
  // `first_sequence`), or maps an existing one. Bytes past what the log has written need not
  // be zero: readers only read what the log has published.
  virtual Result<std::byte*> open_segment(uint64_t index, uint64_t first_sequence) = 0;
  // Every cursor has passed segment `index`: drop it, or keep it for reuse. (Segments still open
  // when the store is destroyed are unmapped, not released: their data stays.)
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
  Result<std::byte*> open_segment(uint64_t index, uint64_t first_sequence) override;
  void release_segment(uint64_t index, std::byte* base) override;

 private:
  uint32_t segment_bytes_;
  size_t spare_max_;
  std::vector<std::byte*> spare_;
  std::map<uint64_t, std::byte*> open_;
};

}  // namespace sluice::ringbuf
