// A provided-buffer ring: a pool of equally sized receive buffers the kernel picks from for
// multishot receives. A completion hands one buffer to the application (its id is in the CQE
// flags); the application gives it back with recycle() once it no longer needs the bytes.
// Shard thread only (the ring it is registered with belongs to that thread).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/result.h"

namespace sluice::reactor {

class BufferRing {
 public:
  // `count` must be a power of two (at most 32768).
  static Result<std::unique_ptr<BufferRing>> create(io_uring* ring, uint16_t group_id, uint32_t count,
                                                    uint32_t buffer_bytes);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group_id() const { return group_id_; }
  uint32_t count() const { return count_; }
  uint32_t buffer_bytes() const { return buffer_bytes_; }
  std::byte* buffer(uint16_t id) const { return buffers_ + static_cast<size_t>(id) * buffer_bytes_; }

  // A completion handed buffer `id` to the application.
  void taken(uint16_t id);
  // The application is done with buffer `id`: the kernel may fill it again.
  void recycle(uint16_t id);
  // Buffers the application holds right now.
  uint32_t held() const { return held_; }

  // While the application holds a buffer it may keep two numbers with it: how many bytes it
  // holds, and the id of the next held buffer in a queue of its own (kNoBuffer ends it). This
  // lets a connection queue received buffers without allocating.
  static constexpr uint16_t kNoBuffer = 0xFFFF;
  uint32_t& held_length(uint16_t id) { return links_[id].length; }
  uint16_t& held_next(uint16_t id) { return links_[id].next; }

 private:
  BufferRing() = default;

  io_uring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  size_t ring_bytes_ = 0;
  std::byte* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  uint16_t group_id_ = 0;
  uint32_t count_ = 0;
  uint32_t buffer_bytes_ = 0;
  uint32_t held_ = 0;
  bool registered_ = false;
  struct Link {
    uint32_t length = 0;
    uint16_t next = kNoBuffer;
  };
  std::unique_ptr<Link[]> links_;
};

}  // namespace sluice::reactor
