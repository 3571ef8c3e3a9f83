// The connection and sequence numbers every sluice-bench event carries, as fixed-width decimal
// text: a fixed width keeps every message, request and length field the same size, so that a
// pre-built buffer only needs its digits patched in place between sends.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::bench {

inline constexpr size_t kConnDigits = 3;  // conn=000..999 (connections are capped well below)
inline constexpr size_t kSeqDigits = 10;  // seq=0000000000..9999999999 per connection

// 10^digits (digits <= 19).
constexpr uint64_t pow10_u64(size_t digits) {
  uint64_t p = 1;
  for (size_t i = 0; i < digits; ++i) p *= 10;
  return p;
}

// One past the largest sequence number a connection can carry.
inline constexpr uint64_t kSeqEnd = pow10_u64(kSeqDigits);

// Adds `n` to the fixed-width decimal number in `digits` in place. Returns false, leaving the
// digits unspecified, when the sum does not fit the width (the caller stops before that).
bool add_decimal(std::span<char> digits, uint64_t n);

// Writes `value` as exactly `digits.size()` decimal digits, zero-padded. The value must fit.
void write_decimal(std::span<char> digits, uint64_t value);

}  // namespace sluice::bench
