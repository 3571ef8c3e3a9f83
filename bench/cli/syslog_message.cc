#include "bench/cli/syslog_message.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "server/base/assert.h"

namespace sluice::bench {
namespace {

// PRI 134 = facility local0 (16) * 8 + severity informational (6).
constexpr std::string_view kHeaderStart = "<134>1 ";
constexpr std::string_view kHeaderRest = " benchhost sluice-bench - - - conn=";
constexpr std::string_view kSeqLabel = " seq=";

constexpr size_t kSeqOffsetInMessage =
    kHeaderStart.size() + kTimestampBytes + kHeaderRest.size() + kConnDigits + kSeqLabel.size();
constexpr size_t kFixedBytes = kSeqOffsetInMessage + kSeqDigits;

std::string framing_prefix(SyslogFraming framing, size_t message_bytes) {
  if (framing == SyslogFraming::octet_counting) return fmt::format("{} ", message_bytes);
  return {};
}

}  // namespace

std::string format_rfc5424_timestamp(int64_t realtime_ms) {
  time_t seconds = static_cast<time_t>(realtime_ms / 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, realtime_ms % 1000);
  SLUICE_ASSERT(out.size() == kTimestampBytes, "timestamp outside years 0000-9999");
  return out;
}

size_t syslog_message_bytes_min() { return kFixedBytes; }

std::string build_syslog_message(std::string_view timestamp, uint32_t conn, uint64_t seq, size_t message_bytes) {
  SLUICE_ASSERT(timestamp.size() == kTimestampBytes, "timestamp must come from format_rfc5424_timestamp");
  SLUICE_ASSERT(message_bytes >= kFixedBytes, "message size below syslog_message_bytes_min()");
  SLUICE_ASSERT(conn < pow10_u64(kConnDigits) && seq < pow10_u64(kSeqDigits), "conn or seq wider than its field");
  std::string out;
  out.reserve(message_bytes);
  out += kHeaderStart;
  out += timestamp;
  out += kHeaderRest;
  fmt::format_to(std::back_inserter(out), "{:0{}}", conn, kConnDigits);
  out += kSeqLabel;
  fmt::format_to(std::back_inserter(out), "{:0{}}", seq, kSeqDigits);
  // Padding: one space, then 'x' up to the size. A message one byte over the minimum ends in
  // the space alone.
  if (out.size() < message_bytes) out += ' ';
  out.append(message_bytes - out.size(), 'x');
  SLUICE_ASSERT(out.size() == message_bytes, "message built to the wrong size");
  return out;
}

Result<MessageBuffer> MessageBuffer::build(const MessageBufferOptions& options) {
  if (options.message_bytes < kFixedBytes)
    return make_error(fmt::format("a message of {} bytes cannot hold the fixed part, which needs {} bytes",
                                  options.message_bytes, kFixedBytes));
  if (options.conn >= pow10_u64(kConnDigits))
    return make_error(fmt::format("connection number {} does not fit {} digits", options.conn, kConnDigits));
  if (options.timestamp.size() != kTimestampBytes) return make_error("malformed message timestamp");
  if (options.first_seq >= pow10_u64(kSeqDigits))
    return make_error(fmt::format("sequence number {} does not fit {} digits", options.first_seq, kSeqDigits));

  std::string prefix = framing_prefix(options.framing, options.message_bytes);
  size_t suffix_bytes = options.framing == SyslogFraming::lf ? 1 : 0;

  MessageBuffer buffer;
  buffer.slot_bytes_ = prefix.size() + options.message_bytes + suffix_bytes;
  buffer.seq_offset_ = prefix.size() + kSeqOffsetInMessage;
  uint64_t slots = std::max<uint64_t>(1, options.buffer_bytes / buffer.slot_bytes_);
  slots = std::min(slots, std::max<uint64_t>(1, options.slots_max));
  slots = std::min(slots, pow10_u64(kSeqDigits) - options.first_seq);
  buffer.slots_ = static_cast<size_t>(slots);
  buffer.first_seq_ = options.first_seq;
  buffer.bytes_.reserve(buffer.slots_ * buffer.slot_bytes_);
  for (size_t i = 0; i < buffer.slots_; ++i) {
    buffer.bytes_.insert(buffer.bytes_.end(), prefix.begin(), prefix.end());
    std::string message =
        build_syslog_message(options.timestamp, options.conn, options.first_seq + i, options.message_bytes);
    buffer.bytes_.insert(buffer.bytes_.end(), message.begin(), message.end());
    if (suffix_bytes) buffer.bytes_.push_back('\n');
  }
  SLUICE_ASSERT(buffer.bytes_.size() == buffer.slots_ * buffer.slot_bytes_, "buffer layout");
  return buffer;
}

std::span<const char> MessageBuffer::slot_range(size_t first, size_t count) const {
  SLUICE_ASSERT(first <= slots_ && count <= slots_ - first, "slot range outside the buffer");
  return std::span<const char>(bytes_).subspan(first * slot_bytes_, count * slot_bytes_);
}

bool MessageBuffer::advance() {
  // Checked up front so that a failed advance leaves the buffer as it was.
  if (first_seq_ + 2 * slots_ > pow10_u64(kSeqDigits)) return false;
  for (size_t i = 0; i < slots_; ++i) {
    bool fits = add_decimal(std::span<char>(bytes_).subspan(i * slot_bytes_ + seq_offset_, kSeqDigits), slots_);
    SLUICE_ASSERT(fits, "sequence overflow after the range check");
  }
  first_seq_ += slots_;
  return true;
}

}  // namespace sluice::bench
