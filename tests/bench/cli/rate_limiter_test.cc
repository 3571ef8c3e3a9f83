#include "bench/cli/rate_limiter.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::bench {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

TEST(ConnectionRate, SharesAddUpExactly) {
  for (uint64_t rate : {1ull, 10ull, 999ull, 1'000'000ull, 1'000'000'007ull}) {
    for (uint32_t connections : {1u, 3u, 4u, 7u, 256u}) {
      uint64_t total = 0;
      for (uint32_t i = 0; i < connections; ++i) {
        uint64_t share = connection_rate_milli(rate, connections, i);
        EXPECT_LE(share, rate * 1000 / connections + 1);
        total += share;
      }
      EXPECT_EQ(total, rate * 1000) << rate << " over " << connections;
    }
  }
  EXPECT_EQ(connection_rate_milli(10, 4, 0), 2500u);  // 2.5 events/s each
}

TEST(TokenBucket, StartsEmptyAndRefillsAtTheRate) {
  TokenBucket bucket(1'000'000, 100, 0);  // 1000 events/s
  EXPECT_EQ(bucket.take(10, 0), 0u);
  EXPECT_EQ(bucket.take(10, 999'999), 0u);
  EXPECT_EQ(bucket.take(10, 1 * kMs), 1u);
  EXPECT_EQ(bucket.take(10, 11 * kMs), 10u);
  EXPECT_EQ(bucket.take(1000, 61 * kMs), 50u);
  EXPECT_EQ(bucket.take(1000, 61 * kMs), 0u);
}

TEST(TokenBucket, HoldsFractionalRates) {
  TokenBucket bucket(2'500, 10, 0);  // 2.5 events/s
  EXPECT_EQ(bucket.take(10, kSecond), 2u);
  EXPECT_EQ(bucket.take(10, 2 * kSecond), 3u);  // the half left over from the first second counts
  EXPECT_EQ(bucket.take(10, 4 * kSecond), 5u);
}

TEST(TokenBucket, CapacityBoundsTheBurstAfterAStall) {
  TokenBucket bucket(1'000'000, 20, 0);
  EXPECT_EQ(bucket.take(1'000'000, 3600 * kSecond), 20u);  // an hour idle buys only the capacity
  EXPECT_EQ(bucket.take(1'000'000, 3600 * kSecond + 5 * kMs), 5u);
}

TEST(TokenBucket, NsUntilSaysWhenToWakeUp) {
  TokenBucket bucket(1'000'000, 100, 0);  // one event per ms
  EXPECT_EQ(bucket.ns_until(1, 0), kMs);
  EXPECT_EQ(bucket.ns_until(10, 0), 10 * kMs);
  EXPECT_EQ(bucket.ns_until(10, 4 * kMs), 6 * kMs);
  EXPECT_EQ(bucket.ns_until(10, 10 * kMs), 0);
  EXPECT_EQ(bucket.ns_until(1000, 10 * kMs), 90 * kMs);  // more than the capacity waits for the capacity
  TokenBucket slow(3, 1, 0);                             // one event every 333.3 s: rounds up, never early
  int64_t wait = slow.ns_until(1, 0);
  EXPECT_EQ(slow.take(1, wait - 1), 0u);
  EXPECT_EQ(slow.take(1, wait), 1u);
}

TEST(TokenBucket, AClockThatDoesNotAdvanceAddsNothing) {
  TokenBucket bucket(1'000'000, 100, 50 * kMs);
  EXPECT_EQ(bucket.take(10, 10 * kMs), 0u);  // before the start
  EXPECT_EQ(bucket.take(10, 55 * kMs), 5u);
  EXPECT_EQ(bucket.take(10, 54 * kMs), 0u);
}

TEST(TokenBucket, BurstSizesFollowTheRate) {
  EXPECT_EQ(TokenBucket::wake_events(1'000), 1u);                   // 1/s
  EXPECT_EQ(TokenBucket::wake_events(1'000'000'000), 1000u);        // 1M/s: 1 ms worth
  EXPECT_EQ(TokenBucket::wake_events(1'000'000'000'000), 16'384u);  // capped
  EXPECT_EQ(TokenBucket::burst_for(1'000), 2u);
  EXPECT_EQ(TokenBucket::burst_for(1'000'000'000), 20'000u);  // 20 ms at 1M/s
  EXPECT_LE(TokenBucket::burst_for(UINT64_MAX / 2), TokenBucket::kBurstMax);
}

// Drives the bucket the way a connection does (wait for a small burst, sleep with jitter, take
// what is there, sometimes less than wanted) and checks the achieved rate.
double simulated_rate(uint64_t rate_milli, int64_t overshoot_ns_max, int64_t run_ns) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> overshoot(0, overshoot_ns_max);
  TokenBucket bucket(rate_milli, TokenBucket::burst_for(rate_milli), 0);
  const uint64_t wake = TokenBucket::wake_events(rate_milli);
  int64_t now = 0;
  uint64_t sent = 0;
  while (now < run_ns) {
    int64_t wait = bucket.ns_until(wake, now);
    if (wait > 0) {
      now += wait + overshoot(random);
      continue;
    }
    uint64_t granted = bucket.take(5'000, now);
    EXPECT_LE(static_cast<double>(sent + granted), static_cast<double>(rate_milli) / 1000.0 * now / 1e9 + 1e-6);
    sent += granted;
    now += 2'000;  // the send itself
  }
  return static_cast<double>(sent) * 1e9 / static_cast<double>(now);
}

TEST(TokenBucket, AchievesTheRateDespiteLateWakeUps) {
  for (uint64_t rate : {100ull, 10'000ull, 250'000ull, 2'000'000ull}) {
    double achieved = simulated_rate(rate * 1000, 200'000, 10 * kSecond);
    EXPECT_NEAR(achieved, static_cast<double>(rate), static_cast<double>(rate) * 0.01) << rate;
  }
}

}  // namespace
}  // namespace sluice::bench
