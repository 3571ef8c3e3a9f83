#include "server/interceptors/arena.h"

#include <algorithm>
#include <cstring>

namespace sluice::interceptors {

std::span<char> Arena::allocate(size_t bytes) {
  used_bytes_ += bytes;
  while (current_ < chunks_.size()) {
    Chunk& chunk = chunks_[current_];
    if (chunk.size - offset_ >= bytes) {
      char* start = chunk.data.get() + offset_;
      offset_ += bytes;
      return {start, bytes};
    }
    ++current_;
    offset_ = 0;
  }
  // A large body gets a chunk of its own size; everything else shares 64 KiB chunks.
  const size_t size = std::max(bytes, kChunkBytes);
  chunks_.push_back(Chunk{std::make_unique<char[]>(size), size});
  current_ = chunks_.size() - 1;
  offset_ = bytes;
  return {chunks_.back().data.get(), bytes};
}

std::string_view Arena::copy(std::string_view text) {
  if (text.empty()) return {};
  std::span<char> out = allocate(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return {out.data(), out.size()};
}

void Arena::reset() {
  size_t kept = 0;
  size_t keep_count = 0;
  while (keep_count < chunks_.size() && kept + chunks_[keep_count].size <= kRetainedBytesMax) {
    kept += chunks_[keep_count].size;
    ++keep_count;
  }
  chunks_.resize(keep_count);
  current_ = 0;
  offset_ = 0;
  used_bytes_ = 0;
}

size_t Arena::held_bytes() const {
  size_t held = 0;
  for (const Chunk& c : chunks_) held += c.size;
  return held;
}

}  // namespace sluice::interceptors
