// What `sluice-bench verify` learns from the events a sink wrote: for every connection, which
// sequence numbers were seen (a bitmap that grows in chunks: one bit per number, not one hash
// entry per event), how often a number came again, and which numbers arrived below one seen
// earlier in the same stream. A stream is one file or one Kafka partition: order means something
// only within one.
//
// Each received event is exactly one of: unique in order, unique out of order (below the
// highest number its connection had reached in that stream), or a duplicate (its number was
// seen before, anywhere). Lost: with an expectation, the numbers in [0, expected) never seen;
// without, the numbers never seen below the connection's highest.
//
// Threads: not thread-safe; one reader thread records, then the report is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bench/cli/sequence_digits.h"

namespace sluice::bench {

// conn=000..999
inline constexpr uint32_t kLedgerConnectionsMax = static_cast<uint32_t>(pow10_u64(kConnDigits));
// Missing ranges listed per connection; the count of lost events is always exact.
inline constexpr size_t kLostRangesMax = 5;

struct SeqRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  bool operator==(const SeqRange&) const = default;
};

struct ConnectionTally {
  uint32_t conn = 0;
  uint64_t received = 0;
  uint64_t unique = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t lost = 0;
  std::vector<SeqRange> lost_ranges;  // the first kLostRangesMax, in order
  uint64_t unexpected = 0;            // unique events outside the expectation (seq or conn too high)
  std::optional<uint64_t> expected;   // events sent on this connection, when known
};

class SequenceLedger {
 public:
  SequenceLedger() = default;
  SequenceLedger(const SequenceLedger&) = delete;
  SequenceLedger& operator=(const SequenceLedger&) = delete;

  // Events sent per connection: connection i sent sequence numbers [0, counts[i]). Connections
  // not listed sent nothing. Without a call, nothing is known about what was sent.
  void expect(std::vector<uint64_t> counts);
  bool has_expectation() const { return expected_.has_value(); }

  // conn < kLedgerConnectionsMax, seq < kSeqEnd (the marker parser guarantees both).
  void record(uint32_t conn, uint64_t seq, uint32_t stream);

  // Every connection seen or expected, by number.
  std::vector<ConnectionTally> tally() const;

 private:
  // 2^20 bits (128 KiB) per chunk: a million events per allocation.
  static constexpr uint64_t kChunkBitsLog2 = 20;
  static constexpr uint64_t kChunkBits = uint64_t{1} << kChunkBitsLog2;
  static constexpr uint64_t kChunkWords = kChunkBits / 64;

  struct Connection {
    std::vector<std::unique_ptr<uint64_t[]>> chunks;  // null: nothing seen in that chunk
    uint64_t received = 0;
    uint64_t unique = 0;
    uint64_t duplicates = 0;
    uint64_t out_of_order = 0;
    uint64_t highest = 0;  // valid when unique > 0
  };

  bool test_and_set(Connection& c, uint64_t seq);
  bool seen(const Connection& c, uint64_t seq) const;
  // Counts the numbers in [0, end) never seen and lists the first missing ranges.
  void find_lost(const Connection& c, uint64_t end, ConnectionTally& out) const;

  std::vector<Connection> connections_;  // by number; grows to the highest seen
  // The highest number per (stream, connection): stream << 10 | conn.
  std::unordered_map<uint64_t, uint64_t> stream_highest_;
  std::optional<std::vector<uint64_t>> expected_;
};

}  // namespace sluice::bench
