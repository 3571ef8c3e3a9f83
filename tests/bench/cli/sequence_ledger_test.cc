#include "bench/cli/sequence_ledger.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::bench {
namespace {

const ConnectionTally& conn(const std::vector<ConnectionTally>& tally, uint32_t number) {
  for (const auto& t : tally)
    if (t.conn == number) return t;
  ADD_FAILURE() << "no connection " << number;
  static const ConnectionTally kNone;
  return kNone;
}

TEST(SequenceLedger, InOrderWithoutGapsIsClean) {
  SequenceLedger ledger;
  for (uint64_t seq = 0; seq < 1000; ++seq) ledger.record(3, seq, 0);
  auto tally = ledger.tally();
  ASSERT_EQ(tally.size(), 1u);
  EXPECT_EQ(tally[0].conn, 3u);
  EXPECT_EQ(tally[0].received, 1000u);
  EXPECT_EQ(tally[0].unique, 1000u);
  EXPECT_EQ(tally[0].lost, 0u);
  EXPECT_EQ(tally[0].duplicates, 0u);
  EXPECT_EQ(tally[0].out_of_order, 0u);
  EXPECT_FALSE(tally[0].expected.has_value());
}

TEST(SequenceLedger, GapsBelowTheHighestAreLostAndListedAsRanges) {
  SequenceLedger ledger;
  for (uint64_t seq : {0, 1, 5, 6, 9, 200}) ledger.record(0, seq, 0);
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.lost, 3u + 2u + 190u);  // 2-4, 7-8, 10-199
  EXPECT_EQ(t.lost_ranges, (std::vector<SeqRange>{{2, 4}, {7, 8}, {10, 199}}));
}

TEST(SequenceLedger, ListsOnlyTheFirstRangesButCountsEveryLoss) {
  SequenceLedger ledger;
  for (uint64_t seq = 0; seq <= 40; seq += 2) ledger.record(0, seq, 0);  // every odd number missing
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.lost, 20u);
  ASSERT_EQ(t.lost_ranges.size(), kLostRangesMax);
  EXPECT_EQ(t.lost_ranges[0], (SeqRange{1, 1}));
}

TEST(SequenceLedger, LossAcrossChunksAndWholeMissingChunks) {
  SequenceLedger ledger;
  ledger.record(0, 0, 0);
  ledger.record(0, 3'000'000, 0);  // chunks of 2^20: the second is never allocated
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.lost, 2'999'999u);
  EXPECT_EQ(t.lost_ranges, (std::vector<SeqRange>{{1, 2'999'999}}));
}

TEST(SequenceLedger, DuplicatesAreCountedOnceEachAndAreNotOutOfOrder) {
  SequenceLedger ledger;
  for (uint64_t seq : {0, 1, 2, 1, 2, 2}) ledger.record(0, seq, 0);
  ledger.record(0, 0, 1);  // a copy in another file
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.received, 7u);
  EXPECT_EQ(t.unique, 3u);
  EXPECT_EQ(t.duplicates, 4u);
  EXPECT_EQ(t.out_of_order, 0u);
  EXPECT_EQ(t.lost, 0u);
}

TEST(SequenceLedger, OutOfOrderCountsOnlyWithinOneStream) {
  SequenceLedger ledger;
  // File 0 holds 2, 3 then 0: 0 came after 3. File 1 holds 1 and 4: in order there, even
  // though 1 is below numbers of file 0.
  for (uint64_t seq : {2, 3, 0}) ledger.record(5, seq, 0);
  for (uint64_t seq : {1, 4}) ledger.record(5, seq, 1);
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.out_of_order, 1u);
  EXPECT_EQ(t.unique, 5u);
  EXPECT_EQ(t.lost, 0u);
}

TEST(SequenceLedger, ConnectionsAreIndependent) {
  SequenceLedger ledger;
  ledger.record(0, 0, 0);
  ledger.record(1, 5, 0);
  ledger.record(0, 1, 0);  // not out of order: connection 1's numbers do not count for 0
  auto tally = ledger.tally();
  ASSERT_EQ(tally.size(), 2u);
  EXPECT_EQ(conn(tally, 0).out_of_order, 0u);
  EXPECT_EQ(conn(tally, 1).lost, 5u);
}

TEST(SequenceLedger, ExpectationCountsEventsNeverSeenAndConnectionsNeverSeen) {
  SequenceLedger ledger;
  ledger.expect({10, 10, 10});
  for (uint64_t seq = 0; seq < 8; ++seq) ledger.record(0, seq, 0);  // 8 and 9 never came
  for (uint64_t seq = 0; seq < 10; ++seq) ledger.record(2, seq, 0);
  auto tally = ledger.tally();
  ASSERT_EQ(tally.size(), 3u);
  EXPECT_EQ(conn(tally, 0).lost, 2u);
  EXPECT_EQ(conn(tally, 0).lost_ranges, (std::vector<SeqRange>{{8, 9}}));
  EXPECT_EQ(conn(tally, 0).expected, 10u);
  EXPECT_EQ(conn(tally, 1).received, 0u);
  EXPECT_EQ(conn(tally, 1).lost, 10u);
  EXPECT_EQ(conn(tally, 2).lost, 0u);
}

TEST(SequenceLedger, EventsBeyondTheExpectationAreUnexpectedNotLost) {
  SequenceLedger ledger;
  ledger.expect({3});
  for (uint64_t seq : {0, 1, 2, 7}) ledger.record(0, seq, 0);
  ledger.record(4, 0, 0);  // a connection that was not expected at all
  auto tally = ledger.tally();
  EXPECT_EQ(conn(tally, 0).lost, 0u);
  EXPECT_EQ(conn(tally, 0).unexpected, 1u);
  EXPECT_EQ(conn(tally, 4).unexpected, 1u);
  EXPECT_EQ(conn(tally, 4).expected, 0u);
}

TEST(SequenceLedger, TheHighestSequenceNumberFits) {
  SequenceLedger ledger;
  ledger.record(999, kSeqEnd - 1, 0);
  ledger.record(999, kSeqEnd - 2, 0);
  auto t = ledger.tally()[0];
  EXPECT_EQ(t.unique, 2u);
  EXPECT_EQ(t.out_of_order, 1u);
  EXPECT_EQ(t.lost, kSeqEnd - 2);
}

}  // namespace
}  // namespace sluice::bench
