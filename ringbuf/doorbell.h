// Wakes sleeping readers when producers publish. Producers (shard threads) call ring() after
// publishing; it costs a fence and one load when nobody sleeps. A reader (sink thread) calls
// prepare_wait() *before* its last check for work, then either cancel_wait() (work found) or
// wait() (none), so a ring that lands between the check and the sleep is never missed.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::ringbuf {

class Doorbell {
 public:
  // Reader: announce a possible sleep; returns the ticket for wait().
  uint32_t prepare_wait();
  // Reader: work was found after prepare_wait(); do not sleep.
  void cancel_wait();
  // Reader: sleep until ring() after prepare_wait(), or until `timeout_ms` passes.
  void wait(uint32_t ticket, int64_t timeout_ms);
  // Producer, after its release-store of the new position.
  void ring();

 private:
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> sleepers_{0};
};

}  // namespace sluice::ringbuf
