// The events of the request/response subcommands (http, avro). Each event carries the headers
// `seq` (its per-connection sequence number, kSeqDigits wide), `conn` (its connection,
// kConnDigits wide) and `timestamp` (its send time in ms since the epoch, kTimestampDigits wide:
// Flume's header, from which sluice ages the event at sink delivery; http's text format has no
// headers), and a body of exactly --size bytes that repeats the first two:
//
//   conn=003 seq=0000000042 xxxxxxxx...
//
// (the same text the syslog load puts after its RFC 5424 header), so that a verifier can check
// loss, duplicates and order per connection from either. A request's bytes are built once;
// between sends only its sequence and timestamp fields change, in place (SeqFields,
// TimestampFields).
//
// Threads: pure functions, any thread; a SeqFields belongs to the buffer it describes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bench/cli/sequence_digits.h"

namespace sluice::bench {

inline constexpr std::string_view kSeqHeader = "seq";
inline constexpr std::string_view kConnHeader = "conn";
inline constexpr std::string_view kTimestampHeader = "timestamp";
// Milliseconds since the epoch have 13 digits from 2001 to 2286.
inline constexpr size_t kTimestampDigits = 13;
inline constexpr int64_t kTimestampMsMin = 1'000'000'000'000;

// "1795237800123": exactly kTimestampDigits; `ms` must have that many digits.
std::string format_timestamp_ms(int64_t ms);

// The shortest body: "conn=003 seq=0000000042", no padding.
size_t event_body_bytes_min();

// "003", "0000000042".
std::string format_conn(uint32_t conn);
std::string format_seq(uint64_t seq);

// The body size of event `i` of a request: sizes[(first + i) % sizes.size()] (a request takes its
// sizes from a table, from its own place in it), or `fixed` when there is no table.
inline size_t body_size_of(std::span<const size_t> sizes, size_t first, size_t i, size_t fixed) {
  return sizes.empty() ? fixed : sizes[(first + i) % sizes.size()];
}

// An error naming the first body size (of `sizes`, or `fixed` when there are none) below
// event_body_bytes_min().
Status check_body_sizes(std::span<const size_t> sizes, size_t fixed);

// Appends the body of event `seq` of connection `conn`, exactly `body_bytes` long (at least
// event_body_bytes_min()): the fixed part, then one space and 'x' up to the size. Returns the
// offset of its sequence digits from the start of the body.
size_t append_event_body(std::string& out, uint32_t conn, uint64_t seq, size_t body_bytes);

// Where one kind of fixed-width field lies in the bytes of one pre-built request.
class FieldOffsets {
 public:
  void add(size_t offset) { offsets_.push_back(offset); }
  // Shifts every field's position by `by` (the buffer gained a prefix).
  void shift(size_t by);
  size_t size() const { return offsets_.size(); }
  std::span<const size_t> offsets() const { return offsets_; }

 protected:
  std::vector<size_t> offsets_;
};

// The sequence numbers. Every field holds the number of its event, so moving the whole request
// on to another range of events adds the same amount to every field.
class SeqFields : public FieldOffsets {
 public:
  // Adds `delta` to every field of `bytes`. The caller has checked that the new numbers fit
  // kSeqDigits.
  void advance(std::span<char> bytes, uint64_t delta) const;
};

// The timestamp headers; every event of a request carries the same time, the time it is sent.
class TimestampFields : public FieldOffsets {
 public:
  // Writes `digits` (format_timestamp_ms) into every field of `bytes`.
  void write(std::span<char> bytes, std::string_view digits) const;
};

}  // namespace sluice::bench
