// How completions find their owner. Every submitted request carries, in its user_data, a
// pointer to the IoHandler that submitted it with a small operation code in the low bits
// (handlers are 8-byte aligned, so 3 bits are free). One dispatcher decodes it.
// Shard thread only.
#pragma once

#include <liburing.h>

#include <cstdint>

#include "base/assert.h"

namespace sluice::reactor {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `op` is the code given to tag() when the request was submitted.
  virtual void on_completion(uint8_t op, const io_uring_cqe& cqe) = 0;
};

inline constexpr uint64_t kOpBits = 3;
inline constexpr uint64_t kOpMask = (1u << kOpBits) - 1;

inline uint64_t tag(IoHandler* handler, uint8_t op) {
  auto p = reinterpret_cast<uint64_t>(handler);
  SLUICE_ASSERT((p & kOpMask) == 0, "IoHandler must be 8-byte aligned");
  SLUICE_ASSERT(op <= kOpMask, "operation code out of range");
  return p | op;
}

inline IoHandler* tagged_handler(uint64_t user_data) { return reinterpret_cast<IoHandler*>(user_data & ~kOpMask); }
inline uint8_t tagged_op(uint64_t user_data) { return static_cast<uint8_t>(user_data & kOpMask); }

// Completions that need no handler (fire-and-forget cancels) carry this.
inline constexpr uint64_t kIgnoredCompletion = 0;

}  // namespace sluice::reactor
