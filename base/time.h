// Clocks. Any thread may call these; they go through the vDSO and never block.
#pragma once

#include <cstdint>
#include <ctime>

namespace sluice::base {

inline int64_t realtime_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

inline int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1'000;
}

// The real time rounded to the nearest millisecond (realtime_ms() truncates): a timestamp of
// millisecond resolution stamped with it is off by at most half a millisecond either way.
inline int64_t realtime_ms_rounded() { return (realtime_us() + 500) / 1000; }

inline int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline int64_t monotonic_ms() { return monotonic_ns() / 1'000'000; }

}  // namespace sluice::base
