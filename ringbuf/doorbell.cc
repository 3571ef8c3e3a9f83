#include "ringbuf/doorbell.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace sluice::ringbuf {
namespace {

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ms) {
  timespec timeout{static_cast<time_t>(timeout_ms / 1000), static_cast<long>((timeout_ms % 1000) * 1'000'000)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, &timeout, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

uint32_t Doorbell::prepare_wait() {
  // Announce the sleeper first (seq_cst), so that a producer that publishes after our check
  // for work is guaranteed to see it and bump the generation.
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  return generation_.load(std::memory_order_seq_cst);
}

void Doorbell::cancel_wait() { sleepers_.fetch_sub(1, std::memory_order_seq_cst); }

void Doorbell::wait(uint32_t ticket, int64_t timeout_ms) {
  if (timeout_ms > 0 && generation_.load(std::memory_order_seq_cst) == ticket)
    futex_wait(&generation_, ticket, timeout_ms);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Doorbell::ring() {
  // Orders the caller's earlier publish before the sleeper check (store-load ordering).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_relaxed) == 0) return;
  generation_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(&generation_);
}

}  // namespace sluice::ringbuf
