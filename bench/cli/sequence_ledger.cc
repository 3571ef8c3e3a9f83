#include "bench/cli/sequence_ledger.h"

#include <algorithm>
#include <bit>

#include "base/assert.h"

namespace sluice::bench {
namespace {

// Adds the missing range [first, last] to the tally.
void add_lost(ConnectionTally& out, uint64_t first, uint64_t last) {
  out.lost += last - first + 1;
  if (!out.lost_ranges.empty() && out.lost_ranges.back().last + 1 == first) {
    out.lost_ranges.back().last = last;
    return;
  }
  if (out.lost_ranges.size() < kLostRangesMax) out.lost_ranges.push_back({first, last});
}

}  // namespace

void SequenceLedger::expect(std::vector<uint64_t> counts) {
  SLUICE_ASSERT(counts.size() <= kLedgerConnectionsMax, "more expected connections than the marker can number");
  expected_ = std::move(counts);
}

bool SequenceLedger::test_and_set(Connection& c, uint64_t seq) {
  const uint64_t chunk = seq >> kChunkBitsLog2;
  if (chunk >= c.chunks.size()) c.chunks.resize(chunk + 1);
  if (!c.chunks[chunk]) c.chunks[chunk] = std::make_unique<uint64_t[]>(kChunkWords);  // zeroed
  uint64_t& word = c.chunks[chunk][(seq & (kChunkBits - 1)) / 64];
  const uint64_t bit = uint64_t{1} << (seq % 64);
  const bool was = (word & bit) != 0;
  word |= bit;
  return was;
}

bool SequenceLedger::seen(const Connection& c, uint64_t seq) const {
  const uint64_t chunk = seq >> kChunkBitsLog2;
  if (chunk >= c.chunks.size() || !c.chunks[chunk]) return false;
  return (c.chunks[chunk][(seq & (kChunkBits - 1)) / 64] >> (seq % 64)) & 1;
}

void SequenceLedger::record(uint32_t conn, uint64_t seq, uint32_t stream) {
  SLUICE_ASSERT(conn < kLedgerConnectionsMax && seq < kSeqEnd, "marker outside its fields");
  if (conn >= connections_.size()) connections_.resize(conn + 1);
  Connection& c = connections_[conn];
  ++c.received;
  if (test_and_set(c, seq)) {
    ++c.duplicates;
    return;
  }
  if (c.unique == 0 || seq > c.highest) c.highest = seq;
  ++c.unique;
  const uint64_t key = uint64_t{stream} << 10 | conn;
  auto [it, fresh] = stream_highest_.try_emplace(key, seq);
  if (fresh) return;
  if (seq < it->second) ++c.out_of_order;
  else it->second = seq;
}

void SequenceLedger::find_lost(const Connection& c, uint64_t end, ConnectionTally& out) const {
  // Runs of missing numbers are found word by word; a chunk never allocated is missing whole.
  std::optional<uint64_t> run_start;
  auto close_run = [&](uint64_t stop) {
    if (run_start) add_lost(out, *run_start, stop - 1);
    run_start.reset();
  };
  for (uint64_t base = 0; base < end; base += kChunkBits) {
    const uint64_t chunk = base >> kChunkBitsLog2;
    const uint64_t* words = chunk < c.chunks.size() ? c.chunks[chunk].get() : nullptr;
    const uint64_t chunk_end = std::min(end, base + kChunkBits);
    if (!words) {
      if (!run_start) run_start = base;
      continue;
    }
    for (uint64_t w = 0; base + w * 64 < chunk_end; ++w) {
      const uint64_t word = words[w];
      const uint64_t word_base = base + w * 64;
      if (word == ~uint64_t{0}) {
        close_run(word_base);
        continue;
      }
      if (word == 0 && run_start) continue;
      const uint64_t bits = std::min<uint64_t>(64, chunk_end - word_base);
      for (uint64_t b = 0; b < bits; ++b) {
        if ((word >> b) & 1) close_run(word_base + b);
        else if (!run_start) run_start = word_base + b;
      }
    }
  }
  close_run(end);
}

std::vector<ConnectionTally> SequenceLedger::tally() const {
  const size_t expected_connections = expected_ ? expected_->size() : 0;
  std::vector<ConnectionTally> out;
  for (size_t conn = 0; conn < std::max(connections_.size(), expected_connections); ++conn) {
    static const Connection kNone;
    const Connection& c = conn < connections_.size() ? connections_[conn] : kNone;
    const bool expected_here = conn < expected_connections && (*expected_)[conn] > 0;
    if (c.received == 0 && !expected_here) continue;
    ConnectionTally t;
    t.conn = static_cast<uint32_t>(conn);
    t.received = c.received;
    t.unique = c.unique;
    t.duplicates = c.duplicates;
    t.out_of_order = c.out_of_order;
    uint64_t end = c.unique ? c.highest + 1 : 0;
    if (expected_) {
      const uint64_t sent = conn < expected_connections ? (*expected_)[conn] : 0;
      t.expected = sent;
      end = sent;
    }
    find_lost(c, end, t);
    // Unique numbers at or above what was sent: the sender sent more than it was told it would.
    if (expected_) t.unexpected = c.unique - (end - t.lost);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace sluice::bench
