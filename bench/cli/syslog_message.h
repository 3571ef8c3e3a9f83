// The syslog load's messages: RFC 5424, exactly `message_bytes` long, each carrying its
// connection number and a fixed-width decimal sequence number that a verifier reads back to
// check loss, duplicates and order per connection:
//
//   <134>1 2026-11-21T05:10:00.000Z benchhost sluice-bench - - - conn=003 seq=0000000042 xxx...
//
// A MessageBuffer lays out many framed messages back to back once; afterwards the only work per
// message is patching its sequence digits in place, and its timestamp just before it is sent
// (sluice's sinks measure each event's age at delivery from it), so the sender is never the
// bottleneck.
//
// Threads: pure functions, any thread. A MessageBuffer belongs to the one connection thread
// that sends from it.
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

enum class SyslogFraming : uint8_t {
  octet_counting,  // RFC 6587 "LEN SP MSG", the TCP default
  lf,              // MSG then '\n'
  none,            // UDP: one message per datagram
};

inline constexpr size_t kTimestampBytes = 24;  // 2026-11-21T05:10:00.000Z

// RFC 5424 timestamp in UTC with milliseconds; always kTimestampBytes long.
std::string format_rfc5424_timestamp(int64_t realtime_ms);

// Bytes of a message without padding: the smallest --size that can be honoured.
size_t syslog_message_bytes_min();

// One message of exactly `message_bytes` (>= syslog_message_bytes_min()), unframed.
std::string build_syslog_message(std::string_view timestamp, uint32_t conn, uint64_t seq, size_t message_bytes);

struct MessageBufferOptions {
  std::string timestamp;  // format_rfc5424_timestamp() of the run start
  uint32_t conn = 0;
  size_t message_bytes = 200;
  SyslogFraming framing = SyslogFraming::octet_counting;
  // Target size of the buffer; it holds as many whole slots as fit (at least one), and no more
  // than slots_max.
  size_t buffer_bytes = 1u << 20;
  uint64_t slots_max = UINT64_MAX;
  // The first slot's sequence number: 0 for a run; tests start near the end of the range.
  uint64_t first_seq = 0;
  // When not empty: slot i holds a message of message_sizes[i % size()] bytes (each at least
  // syslog_message_bytes_min()), and message_bytes is not used. Must outlive build() only.
  std::span<const size_t> message_sizes = {};
};

// `slots()` framed messages back to back, holding the sequence numbers first_seq() ..
// first_seq() + slots() - 1 in order. Slots differ in size only with message_sizes.
class MessageBuffer {
 public:
  static Result<MessageBuffer> build(const MessageBufferOptions& options);

  size_t slots() const { return slot_offsets_.size() - 1; }
  // Framing included.
  size_t slot_bytes(size_t slot) const { return range_bytes(slot, 1); }
  size_t range_bytes(size_t first, size_t count) const;
  uint64_t first_seq() const { return first_seq_; }
  std::span<const char> bytes() const { return bytes_; }
  // Slots [first, first + count) as one contiguous range.
  std::span<const char> slot_range(size_t first, size_t count) const;
  // How many slots from `first` on lie whole in the next `bytes` bytes.
  size_t whole_slots(size_t first, size_t bytes) const;
  // The bytes from the start of slot `first` to the end of the slot that byte `bytes` lies in
  // (`bytes` itself when it ends a slot).
  size_t bytes_to_slot_end(size_t first, size_t bytes) const;

  // Writes `timestamp` (from format_rfc5424_timestamp) into the slots [first, first + count).
  void stamp(size_t first, size_t count, std::string_view timestamp);

  // Moves every slot on by slots(): call after the whole buffer has been sent. False when the
  // sequence numbers would overflow kSeqDigits; the buffer must not be sent again then.
  bool advance();

 private:
  MessageBuffer() = default;

  std::vector<char> bytes_;
  std::vector<size_t> slot_offsets_;  // slots() + 1: where each slot starts, then the end
  std::vector<size_t> seq_offsets_;   // of each slot's first sequence digit
  uint64_t first_seq_ = 0;
};

}  // namespace sluice::bench
