#include "base/fd_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

namespace sluice::base {
namespace {

TEST(FdBudget, RefusesPastItsCapacityAndTakesBackWhatIsReleased) {
  FdBudget budget(2);
  EXPECT_TRUE(budget.try_acquire());
  EXPECT_TRUE(budget.try_acquire());
  EXPECT_FALSE(budget.try_acquire());
  EXPECT_EQ(budget.in_use(), 2u);
  budget.release();
  EXPECT_TRUE(budget.try_acquire());
  EXPECT_FALSE(budget.try_acquire());
}

TEST(FdBudget, ACapacityLoweredBelowWhatIsInUseRefusesUntilEnoughAreReleased) {
  FdBudget budget;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(budget.try_acquire());
  budget.set_capacity(2);
  EXPECT_FALSE(budget.try_acquire());
  budget.release();
  EXPECT_FALSE(budget.try_acquire());
  budget.release();
  EXPECT_TRUE(budget.try_acquire());
}

TEST(FdBudget, ReserveIsAnEighthOfTheLimitWithinBounds) {
  EXPECT_EQ(fd_reserve(256), 64u);
  EXPECT_EQ(fd_reserve(1024), 128u);
  EXPECT_EQ(fd_reserve(65536), 4096u);
  EXPECT_EQ(fd_reserve(1u << 20), 4096u);
}

TEST(FdBudget, CapacityLeavesTheReserveAndWhatIsOpen) {
  EXPECT_EQ(connection_fd_capacity(1024, 40, 128), 1024u - 40 - 128);
  EXPECT_EQ(connection_fd_capacity(1024, 40, 0), 1024u - 40);
  EXPECT_EQ(connection_fd_capacity(100, 90, 64), 1u);  // never zero: one connection is always possible
}

TEST(FdBudget, CountsOpenDescriptors) {
  uint64_t before = count_open_fds();
  ASSERT_GT(before, 0u);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(count_open_fds(), before + 2);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(count_open_fds(), before);
}

TEST(FdBudget, RaisesTheSoftLimitToTheHardOne) {
  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max == RLIM_INFINITY || original.rlim_max < 512) GTEST_SKIP() << "needs a finite hard limit";
  rlimit low{.rlim_cur = 256, .rlim_max = original.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = raise_open_files_limit();
  ASSERT_TRUE(raised.ok()) << raised.error().message;
  EXPECT_EQ(raised->soft_before, 256u);
  EXPECT_EQ(raised->soft, original.rlim_max);
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, original.rlim_max);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &original), 0);
}

}  // namespace
}  // namespace sluice::base
