#include "bench/cli/batch_events.h"

#include <cstring>

#include <fmt/format.h>

#include "base/assert.h"

namespace sluice::bench {
namespace {

constexpr std::string_view kConnLabel = "conn=";
constexpr std::string_view kSeqLabel = " seq=";
constexpr size_t kSeqOffsetInBody = kConnLabel.size() + kConnDigits + kSeqLabel.size();

}  // namespace

size_t event_body_bytes_min() { return kSeqOffsetInBody + kSeqDigits; }

Status check_body_sizes(std::span<const size_t> sizes, size_t fixed) {
  const std::span<const size_t> all = sizes.empty() ? std::span<const size_t>(&fixed, 1) : sizes;
  for (size_t size : all)
    if (size < event_body_bytes_min())
      return make_error(
          fmt::format("an event body of {} bytes cannot hold its connection and sequence number ({} bytes)", size,
                      event_body_bytes_min()));
  return {};
}

std::string format_conn(uint32_t conn) {
  SLUICE_ASSERT(conn < pow10_u64(kConnDigits), "connection number wider than its field");
  return fmt::format("{:0{}}", conn, kConnDigits);
}

std::string format_seq(uint64_t seq) {
  SLUICE_ASSERT(seq < kSeqEnd, "sequence number wider than its field");
  return fmt::format("{:0{}}", seq, kSeqDigits);
}

size_t append_event_body(std::string& out, uint32_t conn, uint64_t seq, size_t body_bytes) {
  SLUICE_ASSERT(body_bytes >= event_body_bytes_min(), "body size below event_body_bytes_min()");
  const size_t start = out.size();
  out += kConnLabel;
  out += format_conn(conn);
  out += kSeqLabel;
  out += format_seq(seq);
  // As in the syslog messages: one space, then 'x'; one byte over the minimum is the space alone.
  if (out.size() - start < body_bytes) out += ' ';
  out.append(body_bytes - (out.size() - start), 'x');
  return kSeqOffsetInBody;
}

std::string format_timestamp_ms(int64_t ms) {
  SLUICE_ASSERT(ms >= kTimestampMsMin && ms < static_cast<int64_t>(pow10_u64(kTimestampDigits)),
                "timestamp outside the 13-digit range");
  return fmt::format("{}", ms);
}

void TimestampFields::write(std::span<char> bytes, std::string_view digits) const {
  SLUICE_ASSERT(digits.size() == kTimestampDigits, "timestamp must come from format_timestamp_ms");
  for (size_t offset : offsets_) std::memcpy(bytes.data() + offset, digits.data(), kTimestampDigits);
}

void FieldOffsets::shift(size_t by) {
  for (size_t& offset : offsets_) offset += by;
}

void SeqFields::advance(std::span<char> bytes, uint64_t delta) const {
  for (size_t offset : offsets_) {
    bool fits = add_decimal(bytes.subspan(offset, kSeqDigits), delta);
    SLUICE_ASSERT(fits, "sequence field overflow after the range check");
  }
}

}  // namespace sluice::bench
