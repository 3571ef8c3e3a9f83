// One io_uring per shard. The shard thread creates it (SINGLE_ISSUER ties the ring to that
// thread) and is the only one to call anything here except wake(), which any thread may call
// to cut a wait short.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "base/result.h"
#include "server/reactor/io_handler.h"

namespace sluice::reactor {

class Reactor final : public IoHandler {
 public:
  struct Options {
    uint32_t sq_entries = 1024;
    // Multishot receives can post many completions per submission; a large CQ keeps them out of
    // the kernel's (slower) overflow list.
    uint32_t cq_entries = 16384;
    // An eventfd owned by the caller that wakes the reactor when written (see wake()); -1: the
    // reactor makes its own. Owning it outside lets other threads wake a shard without racing
    // the reactor's destruction.
    int wake_fd = -1;
  };

  // Shard thread.
  static Result<std::unique_ptr<Reactor>> create(const Options& options);
  ~Reactor() override;

  io_uring* ring() { return &ring_; }
  // A free submission entry; submits pending ones first when the queue is full.
  io_uring_sqe* sqe();
  // Submits pending requests and waits up to `timeout_ns` for a completion (or a wake()).
  void submit_and_wait(int64_t timeout_ns);
  // Dispatches every completion available to its handler. Returns how many.
  unsigned dispatch();
  // Submits pending requests without waiting.
  void submit();

  // Any thread: makes a current or the next run_once() return promptly.
  void wake();

  void on_completion(uint8_t op, const io_uring_cqe& cqe) override;

 private:
  Reactor() = default;
  void arm_wake_poll();

  io_uring ring_{};
  bool ring_ready_ = false;
  int wake_fd_ = -1;
  bool owns_wake_fd_ = false;
};

}  // namespace sluice::reactor
