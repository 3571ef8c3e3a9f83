#include "ringbuf/record.h"

#include <charconv>
#include <cstring>

#include "base/assert.h"
#include "base/bytes.h"
#include "ringbuf/crc32c.h"

namespace sluice::ringbuf {
namespace {

constexpr std::string_view kWellKnownNames[kWellKnownKeyCount] = {
    "",
    "timestamp",
    "host",
    "Facility",
    "Severity",
    "flume.syslog.status",
    "syslog.appname",
    "syslog.procid",
    "syslog.msgid",
    "syslog.sd",
    "priority",
    "version",
};

WellKnownKey resolve(const Header& h) {
  return h.id != WellKnownKey::none || h.id_resolved ? h.id : well_known_key_id(h.key);
}

// True when `text` is exactly how to_chars would print `value`. The events of a batch mostly
// share their timestamp, so each thread keeps the last value it printed.
bool is_canonical_decimal(std::string_view text, int64_t value) {
  thread_local int64_t printed_value = INT64_MIN;
  thread_local char printed[24];
  thread_local size_t printed_length = 0;
  if (value != printed_value) {
    auto [end, ec] = std::to_chars(printed, printed + sizeof printed, value);
    SLUICE_ASSERT(ec == std::errc(), "an int64 fits 24 characters");
    printed_length = static_cast<size_t>(end - printed);
    printed_value = value;
  }
  return std::string_view(printed, printed_length) == text;
}

uint32_t record_crc(const std::byte* record, uint32_t length) {
  uint32_t crc = crc32c_extend(0, record, 4);
  return crc32c_extend(crc, record + 8, length - 8);
}

}  // namespace

std::string_view well_known_key_name(WellKnownKey id) {
  auto i = static_cast<uint8_t>(id);
  return i < kWellKnownKeyCount ? kWellKnownNames[i] : std::string_view();
}

WellKnownKey well_known_key_id(std::string_view key) {
  // Most custom keys differ in length from every well-known one: decide on the length first.
  switch (key.size()) {
    case 4:
    case 7:
    case 8:
    case 9:
    case 12:
    case 13:
    case 14:
    case 19: break;
    default: return WellKnownKey::none;
  }
  for (uint8_t i = 1; i < kWellKnownKeyCount; ++i)
    if (kWellKnownNames[i] == key) return static_cast<WellKnownKey>(i);
  return WellKnownKey::none;
}

size_t record_size(std::span<const Header> headers, size_t body_bytes) {
  size_t n = kRecordHeaderBytes + body_bytes;
  for (const Header& h : headers) {
    n += kHeaderEntryBytes + h.value.size();
    if (resolve(h) == WellKnownKey::none) n += h.key.size();
  }
  return n;
}

size_t encode_record(std::span<std::byte> out, uint64_t sequence, int64_t timestamp_ms, std::span<const Header> headers,
                     std::string_view body) {
  std::byte* const base = out.data();
  SLUICE_ASSERT(reinterpret_cast<uintptr_t>(base) % kRecordAlign == 0, "record must be 8-byte aligned");
  SLUICE_ASSERT(headers.size() <= 0xFFFF, "too many headers for one record");
  SLUICE_ASSERT(body.size() <= 0xFFFFFFFFu, "body too large for one record");
  std::byte* p = base + kRecordHeaderBytes;
  uint8_t flags = 0;
  uint16_t stored = 0;
  for (const Header& h : headers) {
    WellKnownKey id = resolve(h);
    if (id == WellKnownKey::timestamp && !(flags & kFlagTimestampHeader) &&
        is_canonical_decimal(h.value, timestamp_ms)) {
      flags |= kFlagTimestampHeader;
      continue;
    }
    if (id != WellKnownKey::none) {
      base::store_le<uint16_t>(p, static_cast<uint16_t>(kWellKnownKeyBit | static_cast<uint8_t>(id)));
    } else {
      SLUICE_ASSERT(h.key.size() <= kHeaderKeyBytesMax, "header key too long");
      base::store_le<uint16_t>(p, static_cast<uint16_t>(h.key.size()));
    }
    base::store_le<uint32_t>(p + 2, static_cast<uint32_t>(h.value.size()));
    p += kHeaderEntryBytes;
    if (id == WellKnownKey::none) {
      std::memcpy(p, h.key.data(), h.key.size());
      p += h.key.size();
    }
    std::memcpy(p, h.value.data(), h.value.size());
    p += h.value.size();
    ++stored;
  }
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  const auto length = static_cast<uint32_t>(p - base);
  SLUICE_ASSERT(length <= out.size(), "record overran its reservation");
  base::store_le<uint32_t>(base, length);
  base::store_le<uint64_t>(base + 8, sequence);
  base::store_le<uint64_t>(base + 16, static_cast<uint64_t>(timestamp_ms));
  base::store_le<uint32_t>(base + 24, static_cast<uint32_t>(body.size()));
  base::store_le<uint16_t>(base + 28, stored);
  base[30] = std::byte{flags};
  base[31] = std::byte{static_cast<uint8_t>(RecordType::event)};
  base::store_le<uint32_t>(base + 4, record_crc(base, length));
  // Zero the padding so that segment bytes are deterministic (and the next record's length field
  // reads 0, "never written", until it is).
  size_t padded = align_record(length);
  if (padded > length) std::memset(p, 0, padded - length);
  return length;
}

void encode_segment_end(std::span<std::byte> out, uint64_t sequence) {
  SLUICE_ASSERT(out.size() >= kRecordHeaderBytes, "no room for a segment end marker");
  std::byte* base = out.data();
  std::memset(base, 0, kRecordHeaderBytes);
  base::store_le<uint32_t>(base, kRecordHeaderBytes);
  base::store_le<uint64_t>(base + 8, sequence);
  base[31] = std::byte{static_cast<uint8_t>(RecordType::segment_end)};
  base::store_le<uint32_t>(base + 4, record_crc(base, kRecordHeaderBytes));
}

RecordCheck check_record(const std::byte* data, size_t available) {
  if (available < 4) return available == 0 ? RecordCheck::empty : RecordCheck::bad_length;
  uint32_t length = base::load_le<uint32_t>(data);
  if (length == 0) return RecordCheck::empty;
  if (length < kRecordHeaderBytes || length > available) return RecordCheck::bad_length;
  if (record_crc(data, length) != base::load_le<uint32_t>(data + 4)) return RecordCheck::bad_crc;
  auto type = static_cast<RecordType>(static_cast<uint8_t>(data[31]));
  if (type == RecordType::segment_end) return length == kRecordHeaderBytes ? RecordCheck::ok : RecordCheck::bad_layout;
  if (type != RecordType::event) return RecordCheck::bad_layout;
  // Walk the headers to prove that they and the body fill the record exactly.
  size_t offset = kRecordHeaderBytes;
  for (uint16_t i = 0, n = base::load_le<uint16_t>(data + 28); i < n; ++i) {
    if (offset + kHeaderEntryBytes > length) return RecordCheck::bad_layout;
    uint16_t key_field = base::load_le<uint16_t>(data + offset);
    uint64_t value_len = base::load_le<uint32_t>(data + offset + 2);
    offset += kHeaderEntryBytes;
    if (key_field & kWellKnownKeyBit) {
      uint8_t id = key_field & 0xFF;
      if (id == 0 || id >= kWellKnownKeyCount) return RecordCheck::bad_layout;
    } else {
      offset += key_field;
    }
    offset += value_len;
    if (offset > length) return RecordCheck::bad_layout;
  }
  if (offset + base::load_le<uint32_t>(data + 24) != length) return RecordCheck::bad_layout;
  return RecordCheck::ok;
}

std::string_view record_check_name(RecordCheck check) {
  switch (check) {
    case RecordCheck::ok: return "ok";
    case RecordCheck::empty: return "empty";
    case RecordCheck::bad_length: return "bad length";
    case RecordCheck::bad_crc: return "checksum mismatch";
    case RecordCheck::bad_layout: return "bad layout";
  }
  return "?";
}

EventView::EventView(const std::byte* record, uint64_t position) : record_(record), position_(position) {}

uint64_t EventView::sequence() const { return base::load_le<uint64_t>(record_ + 8); }
int64_t EventView::timestamp_ms() const { return static_cast<int64_t>(base::load_le<uint64_t>(record_ + 16)); }
RecordType EventView::type() const { return static_cast<RecordType>(static_cast<uint8_t>(record_[31])); }
uint32_t EventView::record_bytes() const { return base::load_le<uint32_t>(record_); }
uint16_t EventView::header_count() const { return base::load_le<uint16_t>(record_ + 28); }
bool EventView::has_timestamp_header() const { return (static_cast<uint8_t>(record_[30]) & kFlagTimestampHeader) != 0; }

std::string_view EventView::body() const {
  uint32_t length = record_bytes();
  uint32_t body_bytes = base::load_le<uint32_t>(record_ + 24);
  return {reinterpret_cast<const char*>(record_) + length - body_bytes, body_bytes};
}

std::string_view EventView::timestamp_text() const {
  if (timestamp_text_len_ == 0) {
    auto [end, ec] = std::to_chars(timestamp_text_, timestamp_text_ + sizeof timestamp_text_, timestamp_ms());
    timestamp_text_len_ = static_cast<uint8_t>(end - timestamp_text_);
  }
  return {timestamp_text_, timestamp_text_len_};
}

bool EventView::find_header(std::string_view key, std::string_view& value) const {
  bool found = false;
  for_each_header([&](std::string_view k, std::string_view v) {
    if (!found && k == key) {
      value = v;
      found = true;
    }
  });
  return found;
}

}  // namespace sluice::ringbuf
