#include "ringbuf/record.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace sluice::ringbuf {
namespace {

struct Encoded {
  alignas(8) std::byte bytes[4096];
  size_t length;
};

Encoded encode(uint64_t seq, int64_t ts, std::vector<Header> headers, std::string_view body) {
  Encoded e{};
  size_t need = record_size(headers, body.size());
  EXPECT_LE(align_record(need), sizeof e.bytes);
  e.length = encode_record(std::span(e.bytes, align_record(need)), seq, ts, headers, body);
  EXPECT_LE(e.length, need);
  return e;
}

std::map<std::string, std::string> headers_of(const EventView& v) {
  std::map<std::string, std::string> out;
  v.for_each_header([&](std::string_view k, std::string_view val) { out.emplace(k, val); });
  return out;
}

TEST(Record, RoundTripsHeadersAndBody) {
  std::vector<Header> headers = {{"host", "web-1"},
                                 {"Facility", "16", WellKnownKey::facility},
                                 {"custom.key", "value with spaces"},
                                 {"empty", ""}};
  Encoded e = encode(42, 1700000000123, headers, "hello world");
  ASSERT_EQ(check_record(e.bytes, sizeof e.bytes), RecordCheck::ok);
  EventView v(e.bytes);
  EXPECT_EQ(v.sequence(), 42u);
  EXPECT_EQ(v.timestamp_ms(), 1700000000123);
  EXPECT_EQ(v.body(), "hello world");
  EXPECT_EQ(v.type(), RecordType::event);
  auto h = headers_of(v);
  EXPECT_EQ(h.size(), 4u);
  EXPECT_EQ(h["host"], "web-1");
  EXPECT_EQ(h["Facility"], "16");
  EXPECT_EQ(h["custom.key"], "value with spaces");
  EXPECT_EQ(h["empty"], "");
  EXPECT_FALSE(v.has_timestamp_header());
}

TEST(Record, FoldsCanonicalTimestampHeader) {
  std::vector<Header> headers = {{"timestamp", "1700000000123"}, {"host", "h"}};
  Encoded folded = encode(1, 1700000000123, headers, "b");
  EventView v(folded.bytes);
  EXPECT_TRUE(v.has_timestamp_header());
  EXPECT_EQ(v.header_count(), 1);
  std::string_view ts;
  ASSERT_TRUE(v.find_header("timestamp", ts));
  EXPECT_EQ(ts, "1700000000123");
  // Smaller than storing it inline.
  EXPECT_LT(folded.length, record_size(headers, 1));
}

TEST(Record, FoldsEachEventsOwnTimestampInTurn) {
  // The canonical text of the last timestamp is kept per thread: a new one must not reuse it.
  for (int64_t ts : std::initializer_list<int64_t>{1700000000123, 1700000000123, 1700000000999, 5, 1700000000123}) {
    const std::string text = std::to_string(ts);
    Encoded e = encode(1, ts, {{"timestamp", text}}, "b");
    EXPECT_TRUE(EventView(e.bytes).has_timestamp_header()) << ts;
    Encoded other = encode(1, ts + 1, {{"timestamp", text}}, "b");
    EXPECT_FALSE(EventView(other.bytes).has_timestamp_header()) << ts;
  }
}

TEST(Record, ResolvedHeadersEncodeAsLookedUpOnes) {
  const std::vector<Header> looked_up = {{"seq", "42"}, {"host", "h"}, {"timestamp", "1700000000123"}};
  const std::vector<Header> resolved = {resolved_header("seq", "42"), resolved_header("host", "h"),
                                        resolved_header("timestamp", "1700000000123")};
  EXPECT_EQ(resolved[0].id, WellKnownKey::none);
  EXPECT_TRUE(resolved[0].id_resolved);
  EXPECT_EQ(resolved[1].id, WellKnownKey::host);
  EXPECT_EQ(record_size(resolved, 1), record_size(looked_up, 1));
  Encoded a = encode(7, 1700000000123, looked_up, "b");
  Encoded b = encode(7, 1700000000123, resolved, "b");
  ASSERT_EQ(a.length, b.length);
  EXPECT_EQ(std::memcmp(a.bytes, b.bytes, a.length), 0);
  EXPECT_EQ(headers_of(EventView(b.bytes)),
            (std::map<std::string, std::string>{{"seq", "42"}, {"host", "h"}, {"timestamp", "1700000000123"}}));
}

TEST(Record, KeepsNonCanonicalTimestampInline) {
  for (std::string_view text : {"2024-01-01", "01700000000123", "1700000000124", ""}) {
    Encoded e = encode(1, 1700000000123, {{"timestamp", text}}, "b");
    EventView v(e.bytes);
    EXPECT_FALSE(v.has_timestamp_header()) << text;
    std::string_view ts;
    ASSERT_TRUE(v.find_header("timestamp", ts));
    EXPECT_EQ(ts, text);
  }
}

TEST(Record, EmptyBodyAndNoHeaders) {
  Encoded e = encode(7, 0, {}, "");
  EXPECT_EQ(e.length, kRecordHeaderBytes);
  ASSERT_EQ(check_record(e.bytes, sizeof e.bytes), RecordCheck::ok);
  EXPECT_EQ(EventView(e.bytes).body(), "");
}

TEST(Record, DetectsEveryFlippedByte) {
  Encoded e = encode(9, 123, {{"host", "h"}, {"k", "v"}}, "some body bytes");
  for (size_t i = 0; i < e.length; ++i) {
    Encoded copy = e;
    copy.bytes[i] ^= std::byte{0x01};
    EXPECT_NE(check_record(copy.bytes, sizeof copy.bytes), RecordCheck::ok) << "byte " << i;
  }
}

TEST(Record, ReportsEmptyAndTruncated) {
  alignas(8) std::byte zeros[64] = {};
  EXPECT_EQ(check_record(zeros, sizeof zeros), RecordCheck::empty);
  Encoded e = encode(1, 1, {}, "0123456789");
  EXPECT_EQ(check_record(e.bytes, e.length - 1), RecordCheck::bad_length);
  EXPECT_EQ(check_record(e.bytes, 2), RecordCheck::bad_length);
}

TEST(Record, SegmentEndMarker) {
  alignas(8) std::byte bytes[kRecordHeaderBytes];
  encode_segment_end(bytes, 77);
  ASSERT_EQ(check_record(bytes, sizeof bytes), RecordCheck::ok);
  EXPECT_EQ(EventView(bytes).type(), RecordType::segment_end);
}

TEST(Record, WellKnownKeysRoundTrip) {
  for (uint8_t i = 1; i < kWellKnownKeyCount; ++i) {
    auto id = static_cast<WellKnownKey>(i);
    EXPECT_EQ(well_known_key_id(well_known_key_name(id)), id);
  }
  EXPECT_EQ(well_known_key_id("not-a-known-key"), WellKnownKey::none);
}

}  // namespace
}  // namespace sluice::ringbuf
