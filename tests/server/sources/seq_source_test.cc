// The seq source on a real reactor over a memory log, with behaviours from Flume's
// TestSequenceGeneratorSource: bodies count from 0 in decimal, totalEvents are generated and
// then no more, batches keep the order; and what sluice adds: a full channel loses nothing.
#include "server/sources/seq_source.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/time.h"
#include "tests/server/sources/source_harness.h"

namespace sluice::sources {
namespace {

using testing::SourceHarness;

void wait_for_events(SeqSource* source, uint64_t count) {
  const int64_t deadline = base::monotonic_ms() + 10'000;
  while (source->next_number() < count && base::monotonic_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void expect_counting(const std::vector<testing::StoredEvent>& events, uint64_t count) {
  ASSERT_EQ(events.size(), count);
  for (uint64_t i = 0; i < count; ++i) {
    EXPECT_EQ(events[i].body, std::to_string(i));
    EXPECT_TRUE(events[i].headers.empty());
  }
}

// Runs a generator of `total` events in batches of `batch` until it is done, then checks what
// was stored; `settle_ms` more is given to show that it generates no more than `total`.
void generate_and_check(uint64_t total, uint32_t batch, int settle_ms) {
  SourceHarness harness;
  SeqSourceOptions options{.name = "s1", .total_events = total, .batch_size = batch};
  auto source = std::make_unique<SeqSource>(options, EventWriter(harness.logs()), harness.probe());
  SeqSource* seq = source.get();
  harness.start(std::move(source));
  wait_for_events(seq, total);
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  harness.stop();
  expect_counting(harness.events(), total);
}

TEST(SeqSource, GeneratesTotalEventsCountingFromZero) { generate_and_check(1000, 1, 50); }

TEST(SeqSource, BatchesKeepOrderAndTheLastBatchIsShort) { generate_and_check(1005, 10, 0); }

TEST(SeqSource, AFullChannelDelaysButLosesNothing) {
  // 64 KiB of log holds a few thousand tiny events: the generator must wait for the reader.
  SourceHarness harness(false, 64 << 10);
  SeqSourceOptions options{.name = "s1", .total_events = 20'000, .batch_size = 7};
  auto source = std::make_unique<SeqSource>(options, EventWriter(harness.logs()), harness.probe());
  SeqSource* seq = source.get();
  harness.start(std::move(source));
  std::vector<testing::StoredEvent> seen;
  const int64_t deadline = base::monotonic_ms() + 20'000;
  while (seen.size() < 20'000 && base::monotonic_ms() < deadline) {
    auto more = harness.read_some();
    seen.insert(seen.end(), more.begin(), more.end());
    if (more.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(seq->next_number(), 20'000u);
  EXPECT_GT(harness.probe().backpressure_pauses(), 0u) << "the channel never refused: the test tested nothing";
  harness.stop();
  auto rest = harness.events();
  seen.insert(seen.end(), rest.begin(), rest.end());
  expect_counting(seen, 20'000);
}

}  // namespace
}  // namespace sluice::sources
