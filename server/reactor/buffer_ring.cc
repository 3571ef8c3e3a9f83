#include "server/reactor/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sluice::reactor {

Result<std::unique_ptr<BufferRing>> BufferRing::create(io_uring* ring, uint16_t group_id, uint32_t count,
                                                       uint32_t buffer_bytes) {
  SLUICE_ASSERT(count > 0 && count <= 32768 && (count & (count - 1)) == 0, "buffer count must be a power of two");
  std::unique_ptr<BufferRing> self(new BufferRing());
  self->ring_ = ring;
  self->group_id_ = group_id;
  self->count_ = count;
  self->buffer_bytes_ = buffer_bytes;
  self->links_ = std::make_unique<Link[]>(count);

  // Debian's liburing 2.3 has no io_uring_setup_buf_ring(): map the ring ourselves.
  const size_t page = 4096;
  self->ring_bytes_ = (count * sizeof(io_uring_buf) + page - 1) / page * page;
  void* mem = mmap(nullptr, self->ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return make_error(fmt::format("cannot map a buffer ring: {}", std::strerror(errno)));
  self->br_ = static_cast<io_uring_buf_ring*>(mem);

  self->buffers_bytes_ = static_cast<size_t>(count) * buffer_bytes;
  // NORESERVE: a buffer only costs memory once a receive has touched it.
  void* buffers =
      mmap(nullptr, self->buffers_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (buffers == MAP_FAILED) {
    return make_error(
        fmt::format("cannot map {} receive buffers of {} bytes: {}", count, buffer_bytes, std::strerror(errno)));
  }
  self->buffers_ = static_cast<std::byte*>(buffers);

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(self->br_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0) return make_error(fmt::format("cannot register a provided buffer ring: {}", std::strerror(-rc)));
  self->registered_ = true;

  io_uring_buf_ring_init(self->br_);
  const int mask = io_uring_buf_ring_mask(count);
  for (uint32_t id = 0; id < count; ++id)
    io_uring_buf_ring_add(self->br_, self->buffer(static_cast<uint16_t>(id)), buffer_bytes, static_cast<uint16_t>(id),
                          mask, static_cast<int>(id));
  io_uring_buf_ring_advance(self->br_, static_cast<int>(count));
  return self;
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
  if (buffers_) munmap(buffers_, buffers_bytes_);
  if (br_) munmap(br_, ring_bytes_);
}

void BufferRing::taken(uint16_t id) {
  SLUICE_ASSERT(id < count_, "buffer id out of range");
  SLUICE_ASSERT(held_ < count_, "more buffers taken than exist");
  ++held_;
  links_[id] = Link{};
}

void BufferRing::recycle(uint16_t id) {
  SLUICE_ASSERT(id < count_, "buffer id out of range");
  SLUICE_ASSERT(held_ > 0, "recycle of a buffer that was not taken");
  --held_;
  io_uring_buf_ring_add(br_, buffer(id), buffer_bytes_, id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
}

}  // namespace sluice::reactor
