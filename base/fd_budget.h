// File descriptors: the process's limit, and a budget for accepted connections.
//
// A flood of clients must not take the descriptors a file channel needs for its next WAL
// segment or checkpoint, a sink for its sockets, or the admin endpoint for /metrics. So at
// start-up the soft RLIMIT_NOFILE is raised to the hard one, and accepted connections of every
// source share one process-wide budget: the limit minus what is open when the agent starts
// minus a reserve. A connection past the budget is closed at once (and counted by its source).
//
// Threads: raise_open_files_limit() and connection_fd_capacity() on the main thread at
// start-up; FdBudget from any thread (the shards accept and close concurrently).
#pragma once

#include <atomic>
#include <cstdint>

#include "base/result.h"

namespace sluice::base {

struct OpenFilesLimit {
  uint64_t soft_before = 0;  // the soft limit sluice was started with
  uint64_t soft = 0;         // the soft limit now
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (as far as the kernel's nr_open allows).
Result<OpenFilesLimit> raise_open_files_limit();

// How many descriptors are open now (counted in /proc/self/fd); 0 if it cannot be read.
uint64_t count_open_fds();

// Descriptors kept back from accepted connections for everything else the process opens later
// (WAL segments, checkpoints, sink sockets, admin clients): an eighth of the limit, at least
// 64 and at most 4096.
uint64_t fd_reserve(uint64_t soft_limit);

// Accepted connections the budget allows: soft_limit - open_now - reserve, at least 1.
uint64_t connection_fd_capacity(uint64_t soft_limit, uint64_t open_now, uint64_t reserve);

class FdBudget {
 public:
  static constexpr uint64_t kUnlimited = UINT64_MAX;

  explicit FdBudget(uint64_t capacity = kUnlimited) : capacity_(capacity) {}
  FdBudget(const FdBudget&) = delete;
  FdBudget& operator=(const FdBudget&) = delete;

  void set_capacity(uint64_t capacity) { capacity_.store(capacity, std::memory_order_relaxed); }
  uint64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

  // Takes one descriptor of the budget; false (nothing taken) when it is spent.
  bool try_acquire();
  // Gives back one that try_acquire() took.
  void release();

 private:
  std::atomic<uint64_t> capacity_;
  std::atomic<uint64_t> in_use_{0};
};

}  // namespace sluice::base
