#include "bench/cli/syslog_message.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::bench {
namespace {

// PRI 134 = facility local0 (16) * 8 + severity informational (6).
constexpr std::string_view kHeaderStart = "<134>1 ";
constexpr std::string_view kHeaderRest = " benchhost sluice-bench - - - conn=";
constexpr std::string_view kSeqLabel = " seq=";

constexpr size_t kSeqOffsetInMessage =
    kHeaderStart.size() + kTimestampBytes + kHeaderRest.size() + kConnDigits + kSeqLabel.size();
constexpr size_t kFixedBytes = kSeqOffsetInMessage + kSeqDigits;
// From a message's sequence digits back to its timestamp.
constexpr size_t kTimestampBeforeSeq = kSeqOffsetInMessage - kHeaderStart.size();

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
  const std::span<const size_t> sizes =
      options.message_sizes.empty() ? std::span<const size_t>(&options.message_bytes, 1) : options.message_sizes;
  for (size_t size : sizes)
    if (size < kFixedBytes)
      return make_error(
          fmt::format("a message of {} bytes cannot hold the fixed part, which needs {} bytes", size, kFixedBytes));
  if (options.conn >= pow10_u64(kConnDigits))
    return make_error(fmt::format("connection number {} does not fit {} digits", options.conn, kConnDigits));
  if (options.timestamp.size() != kTimestampBytes) return make_error("malformed message timestamp");
  if (options.first_seq >= pow10_u64(kSeqDigits))
    return make_error(fmt::format("sequence number {} does not fit {} digits", options.first_seq, kSeqDigits));

  const size_t suffix_bytes = options.framing == SyslogFraming::lf ? 1 : 0;
  const uint64_t slots_max =
      std::min(std::max<uint64_t>(1, options.slots_max), pow10_u64(kSeqDigits) - options.first_seq);
  MessageBuffer buffer;
  buffer.first_seq_ = options.first_seq;
  buffer.slot_offsets_.push_back(0);
  for (uint64_t i = 0; i < slots_max; ++i) {
    const size_t message_bytes = sizes[i % sizes.size()];
    const std::string prefix = framing_prefix(options.framing, message_bytes);
    if (i > 0 && buffer.bytes_.size() + prefix.size() + message_bytes + suffix_bytes > options.buffer_bytes) break;
    buffer.bytes_.insert(buffer.bytes_.end(), prefix.begin(), prefix.end());
    buffer.seq_offsets_.push_back(buffer.bytes_.size() + kSeqOffsetInMessage);
    const std::string message =
        build_syslog_message(options.timestamp, options.conn, options.first_seq + i, message_bytes);
    buffer.bytes_.insert(buffer.bytes_.end(), message.begin(), message.end());
    if (suffix_bytes) buffer.bytes_.push_back('\n');
    buffer.slot_offsets_.push_back(buffer.bytes_.size());
  }
  SLUICE_ASSERT(buffer.seq_offsets_.size() == buffer.slots(), "buffer layout");
  return buffer;
}

size_t MessageBuffer::range_bytes(size_t first, size_t count) const {
  SLUICE_ASSERT(first <= slots() && count <= slots() - first, "slot range outside the buffer");
  return slot_offsets_[first + count] - slot_offsets_[first];
}

std::span<const char> MessageBuffer::slot_range(size_t first, size_t count) const {
  return std::span<const char>(bytes_).subspan(slot_offsets_[first], range_bytes(first, count));
}

size_t MessageBuffer::whole_slots(size_t first, size_t bytes) const {
  SLUICE_ASSERT(first <= slots(), "slot outside the buffer");
  const auto from = slot_offsets_.begin() + static_cast<ptrdiff_t>(first);
  // The last slot boundary at or before the byte reached.
  const auto end = std::upper_bound(from, slot_offsets_.end(), *from + bytes);
  return static_cast<size_t>(end - from) - 1;
}

size_t MessageBuffer::bytes_to_slot_end(size_t first, size_t bytes) const {
  SLUICE_ASSERT(first <= slots(), "slot outside the buffer");
  const auto from = slot_offsets_.begin() + static_cast<ptrdiff_t>(first);
  const auto end = std::lower_bound(from, slot_offsets_.end(), *from + bytes);
  SLUICE_ASSERT(end != slot_offsets_.end(), "byte outside the buffer");
  return *end - *from;
}

void MessageBuffer::stamp(size_t first, size_t count, std::string_view timestamp) {
  SLUICE_ASSERT(timestamp.size() == kTimestampBytes, "timestamp must come from format_rfc5424_timestamp");
  SLUICE_ASSERT(first <= slots() && count <= slots() - first, "slot range outside the buffer");
  for (size_t i = first; i < first + count; ++i)
    std::memcpy(bytes_.data() + seq_offsets_[i] - kTimestampBeforeSeq, timestamp.data(), kTimestampBytes);
}

bool MessageBuffer::advance() {
  // Checked up front so that a failed advance leaves the buffer as it was.
  if (first_seq_ + 2 * slots() > pow10_u64(kSeqDigits)) return false;
  for (size_t offset : seq_offsets_) {
    bool fits = add_decimal(std::span<char>(bytes_).subspan(offset, kSeqDigits), slots());
    SLUICE_ASSERT(fits, "sequence overflow after the range check");
  }
  first_seq_ += slots();
  return true;
}

}  // namespace sluice::bench
