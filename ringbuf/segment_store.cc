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
}

Result<std::byte*> MemorySegmentStore::open_segment(uint64_t index) {
  if (!spare_.empty()) {
    std::byte* base = spare_.back();
    spare_.pop_back();
    return base;
  }
  void* base = mmap(nullptr, segment_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
  if (base == MAP_FAILED)
    return make_error(fmt::format("cannot map a {} byte memory segment: {}", segment_bytes_, std::strerror(errno)));
  return static_cast<std::byte*>(base);
}

void MemorySegmentStore::release_segment(uint64_t index, std::byte* base) {
  if (spare_.size() < spare_max_) {
    spare_.push_back(base);
    return;
  }
  munmap(base, segment_bytes_);
}

}  // namespace sluice::ringbuf
