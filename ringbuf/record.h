// The stored form of an event: one record, 8-byte aligned, in a channel segment. The same bytes
// live in memory segments and, for durable channels, in mmap'd segment files, so this layout is
// an on-disk format: change it only together with kRecordFormatVersion.
//
//   offset  size  field
//   0       4     length        bytes of the record before padding, this header included
//   4       4     crc           CRC32C of `length` followed by bytes [8, length)
//   8       8     sequence      per shard and channel, +1 per event
//   16      8     timestamp_ms  event time (ms since the epoch)
//   24      4     body_bytes
//   28      2     header_count
//   30      1     flags         kFlagTimestampHeader: the event has a `timestamp` header whose
//                               value is the decimal form of timestamp_ms (stored only once)
//   31      1     type          RecordType
//   32      ...   headers, each: u16 key (bit 15 set: well-known key id in the low bits; else
//                 the key's length), u32 value length, key bytes (inline keys only), value bytes
//   ...     ...   body
//
// All integers little-endian. Pure functions: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"

namespace sluice::ringbuf {

inline constexpr uint32_t kRecordFormatVersion = 1;
inline constexpr uint32_t kRecordAlign = 8;
inline constexpr uint32_t kRecordHeaderBytes = 32;
inline constexpr uint32_t kHeaderEntryBytes = 6;
// Inline header keys are limited so that the u16 key field can flag well-known ids.
inline constexpr size_t kHeaderKeyBytesMax = 0x7FFF;
inline constexpr uint16_t kWellKnownKeyBit = 0x8000;

enum class RecordType : uint8_t {
  event = 1,
  // Marks the unused tail of a segment: readers continue at the next segment.
  segment_end = 2,
};

inline constexpr uint8_t kFlagTimestampHeader = 1;

// Header keys common enough to be stored as a 2-byte id. Ids are part of the format.
enum class WellKnownKey : uint8_t {
  none = 0,
  timestamp = 1,
  host = 2,
  facility = 3,
  severity = 4,
  syslog_status = 5,
  syslog_appname = 6,
  syslog_procid = 7,
  syslog_msgid = 8,
  syslog_sd = 9,
  priority = 10,
  version = 11,
};

inline constexpr uint8_t kWellKnownKeyCount = 12;

// The key string of a well-known id ("" for none or an unknown id).
std::string_view well_known_key_name(WellKnownKey id);
// The id of a key string, or WellKnownKey::none.
WellKnownKey well_known_key_id(std::string_view key);

struct Header {
  std::string_view key;
  std::string_view value;
  // Callers that know the key is well known pass its id and skip the lookup.
  WellKnownKey id = WellKnownKey::none;
  // True when `id` is final, `none` included (the key was looked up and is not well known):
  // sizing and encoding the record then skip the lookup. See resolved_header().
  bool id_resolved = false;
};

// A header whose key is looked up once, here, rather than each time a channel sizes and
// encodes its record: for sources that decode many events with custom keys.
inline Header resolved_header(std::string_view key, std::string_view value) {
  return {key, value, well_known_key_id(key), true};
}

inline constexpr size_t align_record(size_t n) { return (n + kRecordAlign - 1) & ~size_t{kRecordAlign - 1}; }

// Bytes to reserve for a record with these headers and body (before padding). Exact, except
// that a folded timestamp header (see encode_record) makes the record smaller.
size_t record_size(std::span<const Header> headers, size_t body_bytes);

// Writes one event record into `out` (at least record_size() bytes, 8-byte aligned) and returns
// the bytes written before padding. A `timestamp` header whose value is exactly the decimal form
// of `timestamp_ms` is folded into the record's timestamp field.
size_t encode_record(std::span<std::byte> out, uint64_t sequence, int64_t timestamp_ms, std::span<const Header> headers,
                     std::string_view body);

// Writes a segment_end marker (kRecordHeaderBytes) at `out`.
void encode_segment_end(std::span<std::byte> out, uint64_t sequence);

// What a reader finds at an offset.
enum class RecordCheck {
  ok,
  empty,       // length 0: never written (zero-filled)
  bad_length,  // length too small, or past the bytes available
  bad_crc,     // content does not match its checksum
  bad_layout,  // checksum fine but headers/body do not add up (a bug, or a different format)
};

// Validates the record at `data` (up to `available` bytes). Pure.
RecordCheck check_record(const std::byte* data, size_t available);

std::string_view record_check_name(RecordCheck check);

// A decoded event. Refers to the record's bytes, which stay valid while the reader's cursor has
// not committed past them. Owned by one reader thread.
class EventView {
 public:
  EventView() = default;
  // `position` is the record's place in its log (readers set it; commits are made by it).
  explicit EventView(const std::byte* record, uint64_t position = 0);

  uint64_t sequence() const;
  int64_t timestamp_ms() const;
  RecordType type() const;
  uint32_t record_bytes() const;  // before padding
  std::string_view body() const;
  uint16_t header_count() const;  // stored entries, the folded timestamp not counted
  bool has_timestamp_header() const;

  // Calls fn(key, value) for every header, the folded timestamp included (first).
  template <typename Fn>
  void for_each_header(Fn&& fn) const;

  // The value of the first header named `key`, or nullptr-data view if absent. The folded
  // timestamp's text lives in this view, so the result is valid while the view is.
  bool find_header(std::string_view key, std::string_view& value) const;

  const std::byte* data() const { return record_; }
  uint64_t position() const { return position_; }
  // The log position just after this record.
  uint64_t end_position() const { return position_ + align_record(record_bytes()); }

 private:
  std::string_view timestamp_text() const;

  const std::byte* record_ = nullptr;
  uint64_t position_ = 0;
  mutable char timestamp_text_[24] = {};
  mutable uint8_t timestamp_text_len_ = 0;
};

template <typename Fn>
void EventView::for_each_header(Fn&& fn) const {
  if (has_timestamp_header()) fn(std::string_view("timestamp"), timestamp_text());
  const std::byte* p = record_ + kRecordHeaderBytes;
  for (uint16_t i = 0, n = header_count(); i < n; ++i) {
    uint16_t key_field = base::load_le<uint16_t>(p);
    uint32_t value_len = base::load_le<uint32_t>(p + 2);
    p += kHeaderEntryBytes;
    std::string_view key;
    if (key_field & kWellKnownKeyBit) {
      key = well_known_key_name(static_cast<WellKnownKey>(key_field & 0xFF));
    } else {
      key = std::string_view(reinterpret_cast<const char*>(p), key_field);
      p += key_field;
    }
    fn(key, std::string_view(reinterpret_cast<const char*>(p), value_len));
    p += value_len;
  }
}

}  // namespace sluice::ringbuf
