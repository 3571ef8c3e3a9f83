// Bytes that interceptors make while a batch passes through a source's chain (a timestamp's
// digits, a UUID, a rewritten body): bump-allocated from chunks that are kept between batches,
// so a shard in steady state allocates nothing. reset() at the start of each batch makes every
// view handed out before it invalid; chunks beyond kRetainedBytesMax are given back then, so a
// burst of large bodies does not pin memory.
//
// Threads: one per chain, used only by the shard that runs the chain.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::interceptors {

class Arena {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;
  static constexpr size_t kRetainedBytesMax = 1 << 20;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `bytes` writable bytes, valid until the next reset(). Never fails (new throws only when the
  // process is out of memory).
  std::span<char> allocate(size_t bytes);
  // A copy of `text` that lives until the next reset().
  std::string_view copy(std::string_view text);
  // Gives the arena's bytes back for reuse.
  void reset();

  // Bytes handed out since the last reset() (for tests).
  size_t used_bytes() const { return used_bytes_; }
  // Bytes the arena holds, used or not (for tests).
  size_t held_bytes() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // the chunk allocations come from
  size_t offset_ = 0;   // into chunks_[current_]
  size_t used_bytes_ = 0;
};

}  // namespace sluice::interceptors
