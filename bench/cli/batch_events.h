// The events of the request/response subcommands (http, avro). Each event carries two headers,
// `seq` (its per-connection sequence number, kSeqDigits wide) and `conn` (its connection,
// kConnDigits wide), and a body of exactly --size bytes that repeats them:
//
//   conn=003 seq=0000000042 xxxxxxxx...
//
// (the same text the syslog load puts after its RFC 5424 header), so that a verifier can check
// loss, duplicates and order per connection from either. A request's bytes are built once;
// between sends only its sequence fields change, in place (SeqFields).
//
// Threads: pure functions, any thread; a SeqFields belongs to the buffer it describes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cli/sequence_digits.h"

namespace sluice::bench {

inline constexpr std::string_view kSeqHeader = "seq";
inline constexpr std::string_view kConnHeader = "conn";

// The shortest body: "conn=003 seq=0000000042", no padding.
size_t event_body_bytes_min();

// "003", "0000000042".
std::string format_conn(uint32_t conn);
std::string format_seq(uint64_t seq);

// Appends the body of event `seq` of connection `conn`, exactly `body_bytes` long (at least
// event_body_bytes_min()): the fixed part, then one space and 'x' up to the size. Returns the
// offset of its sequence digits from the start of the body.
size_t append_event_body(std::string& out, uint32_t conn, uint64_t seq, size_t body_bytes);

// Where the sequence numbers of one pre-built request lie in its bytes. Every field holds the
// number of its event, so moving the whole request on to another range of events adds the
// same amount to every field.
class SeqFields {
 public:
  void add(size_t offset) { offsets_.push_back(offset); }
  // Shifts every field's position by `by` (the buffer gained a prefix).
  void shift(size_t by);
  size_t size() const { return offsets_.size(); }
  std::span<const size_t> offsets() const { return offsets_; }

  // Adds `delta` to every field of `bytes`. The caller has checked that the new numbers fit
  // kSeqDigits.
  void advance(std::span<char> bytes, uint64_t delta) const;

 private:
  std::vector<size_t> offsets_;
};

}  // namespace sluice::bench
