#include "ringbuf/segment_store.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sluice::ringbuf {

MemorySegmentStore::MemorySegmentStore(uint32_t segment_bytes, size_t spare_max)
    : segment_bytes_(segment_bytes), spare_max_(spare_max) {}

MemorySegmentStore::~MemorySegmentStore() {
  for (std::byte* base : spare_) munmap(base, segment_bytes_);
  for (auto& [index, base] : open_) munmap(base, segment_bytes_);
}

Result<std::byte*> MemorySegmentStore::open_segment(uint64_t index, uint64_t first_sequence) {
  if (auto it = open_.find(index); it != open_.end()) return it->second;
  std::byte* base;
  if (!spare_.empty()) {
    base = spare_.back();
    spare_.pop_back();
  } else {
    void* mem =
        mmap(nullptr, segment_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
      return make_error(fmt::format("cannot map a {} byte memory segment: {}", segment_bytes_, std::strerror(errno)));
    base = static_cast<std::byte*>(mem);
  }
  open_.emplace(index, base);
  return base;
}

void MemorySegmentStore::release_segment(uint64_t index, std::byte* base) {
  open_.erase(index);
  if (spare_.size() < spare_max_) {
    spare_.push_back(base);
    return;
  }
  munmap(base, segment_bytes_);
}

}  // namespace sluice::ringbuf
