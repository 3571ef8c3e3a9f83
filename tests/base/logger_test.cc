#include "base/logger.h"

#include <gtest/gtest.h>

namespace sluice::base {
namespace {

TEST(RateLimitedLog, AllowsABurstPerIntervalThenCountsTheRest) {
  RateLimitedLog limiter(2, 1000);
  EXPECT_TRUE(limiter.allow(10'000));
  EXPECT_TRUE(limiter.allow(10'001));
  EXPECT_FALSE(limiter.allow(10'002));
  EXPECT_FALSE(limiter.allow(10'500));
  EXPECT_EQ(limiter.take_suppressed(), 2u);
  EXPECT_EQ(limiter.take_suppressed(), 0u);
  EXPECT_TRUE(limiter.allow(11'001)) << "a new interval";
}

TEST(LogLevel, ParsesTheFourNames) {
  LogLevel level;
  EXPECT_TRUE(parse_log_level("warn", level));
  EXPECT_EQ(level, LogLevel::warn);
  EXPECT_FALSE(parse_log_level("verbose", level));
}

}  // namespace
}  // namespace sluice::base
