// Rate limiting for load connections: a token bucket per connection, so that connections never
// contend on shared state, with the total rate split exactly across them.
//
// Threads: a TokenBucket belongs to one connection thread. The clock is passed in (monotonic
// nanoseconds) so that tests can drive it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/assert.h"

namespace sluice::bench {

// This connection's share of `rate_per_s` events per second across `connections`, in
// thousandths of an event per second. The shares add up to exactly rate_per_s * 1000, so a low
// total rate spread over many connections is still honoured.
inline uint64_t connection_rate_milli(uint64_t rate_per_s, uint32_t connections, uint32_t index) {
  SLUICE_ASSERT(connections > 0 && index < connections, "connection index out of range");
  uint64_t total_milli = rate_per_s * 1000;
  return total_milli / connections + (index < total_milli % connections ? 1 : 0);
}

class TokenBucket {
 public:
  static constexpr uint64_t kBurstMax = 1'000'000;

  // Refills at rate_milli_per_s thousandths of an event per second and holds at most
  // `burst_max` events. Starts empty at now_ns, so the events granted by time t never exceed
  // rate * (t - start): a run is never faster than asked, only slower when the sender stalls
  // for longer than the bucket holds.
  TokenBucket(uint64_t rate_milli_per_s, uint64_t burst_max, int64_t now_ns)
      : rate_milli_(rate_milli_per_s), capacity_units_(burst_max * kUnitsPerEvent), last_ns_(now_ns) {
    SLUICE_ASSERT(rate_milli_per_s > 0, "a token bucket needs a positive rate");
    SLUICE_ASSERT(burst_max >= 1 && burst_max <= kBurstMax, "burst_max out of range");
  }

  // Takes up to `want` whole events; returns how many were granted (possibly 0).
  uint64_t take(uint64_t want, int64_t now_ns) {
    refill(now_ns);
    uint64_t granted = std::min(want, units_ / kUnitsPerEvent);
    units_ -= granted * kUnitsPerEvent;
    return granted;
  }

  // Nanoseconds after now_ns until `events` whole events are available (0 when they are now).
  // `events` above the capacity is treated as the capacity.
  int64_t ns_until(uint64_t events, int64_t now_ns) {
    refill(now_ns);
    uint64_t need = std::min(events * kUnitsPerEvent, capacity_units_);
    if (units_ >= need) return 0;
    // Round up: after this many ns the bucket holds at least `need`.
    return static_cast<int64_t>((need - units_ + rate_milli_ - 1) / rate_milli_);
  }

  // Events that fill up 1 ms at this rate: how many a connection waits for before sending a
  // burst, so that a fast rate costs one send per millisecond rather than one per event.
  static uint64_t wake_events(uint64_t rate_milli_per_s) {
    return std::clamp<uint64_t>(rate_milli_per_s / 1'000'000, 1, 16'384);
  }
  // The capacity that goes with it: 20 ms of sending, so that a late wake-up (timer slack, a
  // busy core) is made up for instead of lost, while a long stall (the server stopped
  // reading) is not followed by an unbounded catch-up burst.
  static uint64_t burst_for(uint64_t rate_milli_per_s) {
    return std::clamp<uint64_t>(std::max(rate_milli_per_s / 50'000, 2 * wake_events(rate_milli_per_s)), 1, kBurstMax);
  }

 private:
  // One event is 10^12 units, so one nanosecond at R thousandths of an event per second adds
  // exactly R units: integer arithmetic without drift.
  static constexpr uint64_t kUnitsPerEvent = 1'000'000'000'000;

  void refill(int64_t now_ns) {
    if (now_ns <= last_ns_) return;  // a clock that did not move (or moved back) adds nothing
    unsigned __int128 added = static_cast<unsigned __int128>(now_ns - last_ns_) * rate_milli_;
    unsigned __int128 total = added + units_;
    units_ = total > capacity_units_ ? capacity_units_ : static_cast<uint64_t>(total);
    last_ns_ = now_ns;
  }

  uint64_t rate_milli_;
  uint64_t capacity_units_;
  uint64_t units_ = 0;
  int64_t last_ns_;
};

}  // namespace sluice::bench
