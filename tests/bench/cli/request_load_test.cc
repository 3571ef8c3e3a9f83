// The pieces the request/response subcommands share: batches of a quota, pacing, summaries.
#include "bench/cli/request_load.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace sluice::bench {
namespace {

TEST(BatchPlan, CutsAQuotaIntoBatchesWithAShortLastOne) {
  BatchPlan plan(250, 100);
  EXPECT_EQ(plan.last_size(), 50u);
  EXPECT_EQ(plan.last_first(), 200u);
  EXPECT_EQ(plan.next_size(), 100u);
  EXPECT_EQ(plan.take(), 0u);
  EXPECT_EQ(plan.take(), 100u);
  EXPECT_EQ(plan.next_size(), 50u);
  EXPECT_FALSE(plan.done());
  EXPECT_EQ(plan.take(), 200u);
  EXPECT_TRUE(plan.done());
  EXPECT_FALSE(plan.exhausted());
  EXPECT_EQ(plan.next_size(), 0u);

  BatchPlan exact(300, 100);
  EXPECT_EQ(exact.last_size(), 0u);
  BatchPlan none(0, 100);
  EXPECT_TRUE(none.done());
  BatchPlan tiny(3, 100);
  EXPECT_EQ(tiny.next_size(), 3u);
  EXPECT_EQ(tiny.last_first(), 0u);
}

TEST(BatchPlan, AnUnboundedPlanEndsWhereTheSequenceNumbersDo) {
  BatchPlan unbounded(UINT64_MAX, 3);
  EXPECT_EQ(unbounded.last_size(), 0u);
  EXPECT_EQ(unbounded.next_size(), 3u);
  // A quota beyond the sequence range stops there.
  BatchPlan big(20'000'000'000ull, 100'000);
  EXPECT_EQ(big.last_size(), 0u);
  uint64_t taken = 0;
  while (!big.done()) {
    big.take();
    ++taken;
  }
  EXPECT_EQ(taken, kSeqEnd / 100'000);
  EXPECT_TRUE(big.exhausted());
}

TEST(RequestPacer, WaitsForWholeBatches) {
  constexpr int64_t kMs = 1'000'000;
  RequestPacer unlimited(0, 100, 0);
  EXPECT_EQ(unlimited.wait_ns(100, 0), 0);
  unlimited.take(100, 0);
  // 1000 events/s in batches of 100, far above the bucket's usual 20 ms burst: one batch per 100 ms.
  RequestPacer paced(1'000'000, 100, 0);
  EXPECT_EQ(paced.wait_ns(100, 0), 100 * kMs);
  EXPECT_EQ(paced.wait_ns(100, 60 * kMs), 40 * kMs);
  EXPECT_EQ(paced.wait_ns(100, 100 * kMs), 0);
  paced.take(100, 100 * kMs);
  EXPECT_EQ(paced.wait_ns(30, 100 * kMs), 30 * kMs);  // a short last batch waits for less
}

TEST(FillLatency, PercentilesInMilliseconds) {
  auto h = std::make_unique<LatencyHistogram>();
  RequestSummary r;
  fill_latency(*h, r);
  EXPECT_EQ(r.latency_samples, 0u);
  for (int i = 1; i <= 1000; ++i) h->record(i * 1000);  // 1 us .. 1 ms
  fill_latency(*h, r);
  EXPECT_EQ(r.latency_samples, 1000u);
  EXPECT_NEAR(r.latency_p50_ms, 0.5, 0.5 / 128);
  EXPECT_NEAR(r.latency_p99_ms, 0.99, 0.99 / 128);
  EXPECT_NEAR(r.latency_p999_ms, 0.999, 0.999 / 128);
  EXPECT_DOUBLE_EQ(r.latency_max_ms, 1.0);
  EXPECT_NEAR(r.latency_mean_ms, 0.5005, 1e-9);
}

}  // namespace
}  // namespace sluice::bench
