#include "protocols/avro/avro_binary.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sluice::avro {
namespace {

using namespace std::string_literals;

std::string encoded_long(int64_t v) {
  std::string out;
  Writer(out).write_long(v);
  return out;
}

TEST(AvroBinary, ZigzagVarintsMatchTheSpec) {
  // The spec's table: 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 2 -> 04, -64 -> 7f, 64 -> 80 01.
  EXPECT_EQ(encoded_long(0), "\x00"s);
  EXPECT_EQ(encoded_long(-1), "\x01"s);
  EXPECT_EQ(encoded_long(1), "\x02"s);
  EXPECT_EQ(encoded_long(-2), "\x03"s);
  EXPECT_EQ(encoded_long(2), "\x04"s);
  EXPECT_EQ(encoded_long(-64), "\x7f"s);
  EXPECT_EQ(encoded_long(64), "\x80\x01"s);
  EXPECT_EQ(encoded_long(std::numeric_limits<int64_t>::max()).size(), 10u);
  EXPECT_EQ(encoded_long(std::numeric_limits<int64_t>::min()).size(), 10u);
}

TEST(AvroBinary, LongsRoundTripAtTheEdges) {
  const Limits limits;
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{1} << 31,
                    -(int64_t{1} << 31), std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    const std::string bytes = encoded_long(v);
    Reader in(bytes, limits);
    int64_t got = 0;
    ASSERT_TRUE(in.read_long(got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.expect_end());
  }
}

TEST(AvroBinary, VarintLongerThanTenBytesIsRejected) {
  const Limits limits;
  const std::string eleven(10, '\x80');
  const std::string in_bytes = eleven + "\x00"s;
  Reader in(in_bytes, limits);
  int64_t v = 0;
  EXPECT_FALSE(in.read_long(v));
  EXPECT_EQ(in.error(), errc::varint_too_long);
  // Ten bytes whose last carries more than bit 63.
  const std::string in2_bytes = std::string(9, '\xff') + "\x02"s;
  Reader in2(in2_bytes, limits);
  EXPECT_FALSE(in2.read_long(v));
  EXPECT_EQ(in2.error(), errc::varint_too_long);
}

TEST(AvroBinary, TruncatedVarint) {
  const Limits limits;
  const std::string in_bytes = "\x80\x80"s;
  Reader in(in_bytes, limits);
  int64_t v = 0;
  EXPECT_FALSE(in.read_long(v));
  EXPECT_EQ(in.error(), errc::truncated);
  // A failed reader stays failed.
  EXPECT_FALSE(in.read_long(v));
  EXPECT_EQ(in.error(), errc::truncated);
}

TEST(AvroBinary, IntRange) {
  const Limits limits;
  const std::string big = encoded_long(int64_t{1} << 31);
  Reader in(big, limits);
  int32_t v = 0;
  EXPECT_FALSE(in.read_int(v));
  EXPECT_EQ(in.error(), errc::int_out_of_range);
  const std::string min = encoded_long(std::numeric_limits<int32_t>::min());
  Reader in2(min, limits);
  EXPECT_TRUE(in2.read_int(v));
  EXPECT_EQ(v, std::numeric_limits<int32_t>::min());
}

TEST(AvroBinary, BooleanAndNull) {
  const Limits limits;
  std::string out;
  Writer w(out);
  w.write_boolean(true);
  w.write_boolean(false);
  EXPECT_EQ(out, "\x01\x00"s);  // null is zero bytes: nothing to write
  const std::string in_bytes = out + "\x02"s;
  Reader in(in_bytes, limits);
  bool b = false;
  EXPECT_TRUE(in.read_boolean(b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(in.read_boolean(b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(in.read_boolean(b));
  EXPECT_EQ(in.error(), errc::bad_boolean);
}

TEST(AvroBinary, StringsAndBytes) {
  const Limits limits;
  std::string out;
  Writer w(out);
  w.write_string("foo");
  w.write_bytes(""s);
  w.write_bytes("\x00\xff"s);
  EXPECT_EQ(out, "\x06"s + "foo" + "\x00"s + "\x04\x00\xff"s);
  Reader in(out, limits);
  std::string_view s;
  ASSERT_TRUE(in.read_string(s));
  EXPECT_EQ(s, "foo");
  EXPECT_EQ(s.data(), out.data() + 1);  // a view into the input, not a copy
  ASSERT_TRUE(in.read_bytes(s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(in.read_bytes(s));
  EXPECT_EQ(s, "\x00\xff"s);
  EXPECT_TRUE(in.expect_end());
}

TEST(AvroBinary, HostileLengths) {
  Limits limits;
  limits.length_bytes_max = 100;
  std::string_view s;
  {
    const std::string in_bytes = encoded_long(-1);
    Reader in(in_bytes, limits);
    EXPECT_FALSE(in.read_bytes(s));
    EXPECT_EQ(in.error(), errc::negative_length);
  }
  {
    const std::string in_bytes = encoded_long(101) + std::string(101, 'x');
    Reader in(in_bytes, limits);
    EXPECT_FALSE(in.read_bytes(s));
    EXPECT_EQ(in.error(), errc::length_over_limit);
  }
  {  // within the limit but past the input
    const std::string in_bytes = encoded_long(50) + "abc";
    Reader in(in_bytes, limits);
    EXPECT_FALSE(in.read_bytes(s));
    EXPECT_EQ(in.error(), errc::truncated);
  }
  {  // the largest long: over the limit, never an allocation or overflow
    const std::string in_bytes = encoded_long(std::numeric_limits<int64_t>::max());
    Reader in(in_bytes, limits);
    EXPECT_FALSE(in.read_string(s));
    EXPECT_EQ(in.error(), errc::length_over_limit);
  }
}

TEST(AvroBinary, FixedEnumUnion) {
  const Limits limits;
  std::string out;
  Writer w(out);
  w.write_fixed("0123456789abcdef");
  w.write_enum(2);
  w.write_union_index(1);
  Reader in(out, limits);
  std::string_view fixed;
  uint32_t e = 0, u = 0;
  ASSERT_TRUE(in.read_fixed(16, fixed));
  EXPECT_EQ(fixed, "0123456789abcdef");
  ASSERT_TRUE(in.read_enum(3, e));
  EXPECT_EQ(e, 2u);
  ASSERT_TRUE(in.read_union_index(2, u));
  EXPECT_EQ(u, 1u);
  {
    const std::string bad_bytes = encoded_long(3);
    Reader bad(bad_bytes, limits);
    EXPECT_FALSE(bad.read_enum(3, e));
    EXPECT_EQ(bad.error(), errc::bad_enum);
  }
  {
    const std::string bad_bytes = encoded_long(-1);
    Reader bad(bad_bytes, limits);
    EXPECT_FALSE(bad.read_union_index(2, u));
    EXPECT_EQ(bad.error(), errc::bad_union_index);
  }
  {
    const std::string bad_bytes = "0123"s;
    Reader bad(bad_bytes, limits);
    EXPECT_FALSE(bad.read_fixed(16, fixed));
    EXPECT_EQ(bad.error(), errc::truncated);
  }
}

// An array<long> of `values` as two blocks: the first with a positive count, the second with a
// negative count and its byte size.
std::string two_block_array(const std::vector<int64_t>& first, const std::vector<int64_t>& second) {
  std::string out;
  Writer w(out);
  w.write_block_count(first.size());
  for (int64_t v : first) w.write_long(v);
  std::string block;
  Writer b(block);
  for (int64_t v : second) b.write_long(v);
  w.write_long(-static_cast<int64_t>(second.size()));
  w.write_long(static_cast<int64_t>(block.size()));
  out += block;
  w.write_end_of_blocks();
  return out;
}

std::vector<int64_t> read_longs(Reader& in) {
  std::vector<int64_t> got;
  in.read_array(1, [&] {
    int64_t v = 0;
    if (!in.read_long(v)) return false;
    got.push_back(v);
    return true;
  });
  return got;
}

TEST(AvroBinary, ArrayBlocksIncludingNegativeCounts) {
  const Limits limits;
  const std::string bytes = two_block_array({1, 2, 3}, {400, -5});
  Reader in(bytes, limits);
  EXPECT_EQ(read_longs(in), (std::vector<int64_t>{1, 2, 3, 400, -5}));
  EXPECT_TRUE(in.ok());
  EXPECT_TRUE(in.expect_end());
}

TEST(AvroBinary, NegativeBlockWithWrongByteSize) {
  const Limits limits;
  std::string bytes;
  Writer w(bytes);
  w.write_long(-2);
  w.write_long(3);  // the two items below take 2 bytes
  w.write_long(1);
  w.write_long(2);
  bytes += "\x00\x00"s;
  Reader in(bytes, limits);
  read_longs(in);
  EXPECT_EQ(in.error(), errc::bad_block_size);

  std::string past;
  Writer p(past);
  p.write_long(-1);
  p.write_long(1000);  // more than is left
  p.write_long(1);
  Reader in2(past, limits);
  read_longs(in2);
  EXPECT_EQ(in2.error(), errc::bad_block_size);

  std::string negative_size;
  Writer n(negative_size);
  n.write_long(-1);
  n.write_long(-4);
  Reader in3(negative_size, limits);
  read_longs(in3);
  EXPECT_EQ(in3.error(), errc::bad_block_size);
}

TEST(AvroBinary, CountsBeyondTheInputOrTheLimitsAreRejectedBeforeUse) {
  Limits limits;
  limits.items_max = 10;
  limits.total_items_max = 15;
  {  // many items announced in a few bytes: within the limits, but not in the input
    const std::string in_bytes = encoded_long(100'000) + "\x02\x02"s;
    Reader in(in_bytes, Limits{});
    // Refused at the count, before any item: a caller never sizes anything by it.
    Reader::Block block;
    EXPECT_FALSE(in.read_block(1, block));
    EXPECT_EQ(in.error(), errc::truncated);
    EXPECT_EQ(block.count, 0u);
    // A map entry needs 2 bytes: 3 entries do not fit in 5 bytes.
    const std::string map_bytes = encoded_long(3) + "\x00\x00\x00\x00\x00"s;
    Reader map(map_bytes, Limits{});
    EXPECT_FALSE(map.read_block(2, block));
    EXPECT_EQ(map.error(), errc::truncated);
  }
  {
    const std::string in_bytes = encoded_long(11) + std::string(11, '\x02') + "\x00"s;
    Reader in(in_bytes, limits);
    read_longs(in);
    EXPECT_EQ(in.error(), errc::items_over_limit);
  }
  {  // the limit is per array over all of its blocks
    const std::string bytes = two_block_array({1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5});
    Reader in(bytes, limits);
    read_longs(in);
    EXPECT_EQ(in.error(), errc::items_over_limit);
  }
  {  // and all arrays of one input together
    const std::string one = two_block_array({1, 2, 3, 4}, {5, 6, 7, 8});
    const std::string in_bytes = one + one;
    Reader in(in_bytes, limits);
    EXPECT_EQ(read_longs(in).size(), 8u);
    read_longs(in);
    EXPECT_EQ(in.error(), errc::total_over_limit);
  }
  {  // the most negative count has no positive counterpart
    const std::string in_bytes = encoded_long(std::numeric_limits<int64_t>::min()) + "\x00"s;
    Reader in(in_bytes, Limits{});
    read_longs(in);
    EXPECT_EQ(in.error(), errc::items_over_limit);
  }
}

TEST(AvroBinary, MapOfStrings) {
  const Limits limits;
  std::string bytes;
  Writer w(bytes);
  w.write_block_count(2);
  w.write_string("a");
  w.write_string("1");
  w.write_string("bb");
  w.write_string("22");
  w.write_end_of_blocks();
  Reader in(bytes, limits);
  std::vector<std::pair<std::string, std::string>> got;
  EXPECT_TRUE(in.read_map(1, [&](std::string_view key) {
    std::string_view value;
    if (!in.read_string(value)) return false;
    got.emplace_back(key, value);
    return true;
  }));
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"bb", "22"}}));
  EXPECT_TRUE(in.expect_end());
}

TEST(AvroBinary, TrailingBytes) {
  const Limits limits;
  const std::string in_bytes = "\x02\x02"s;
  Reader in(in_bytes, limits);
  int64_t v = 0;
  EXPECT_TRUE(in.read_long(v));
  EXPECT_FALSE(in.expect_end());
  EXPECT_EQ(in.error(), errc::trailing_bytes);
  EXPECT_FALSE(errc_reason(errc::trailing_bytes).empty());
}

}  // namespace
}  // namespace sluice::avro
