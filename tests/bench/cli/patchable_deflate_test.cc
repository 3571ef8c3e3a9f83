#include "bench/cli/patchable_deflate.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::bench {
namespace {

// Inflates raw deflate data with a fresh inflater (no history before it); the data must end
// with a final block.
std::string inflate_raw(std::string_view data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END) << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the final block";
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// Text like a batch: repetitive, with a digit field every ~`stride` bytes.
struct Sample {
  std::string plain;
  std::vector<ByteRange> fields;
};
Sample sample(size_t events, size_t stride) {
  Sample s;
  for (size_t i = 0; i < events; ++i) {
    s.plain += "{\"headers\":{\"seq\":\"";
    s.fields.push_back({s.plain.size(), s.plain.size() + 10});
    s.plain += "0000000000\"},\"body\":\"";
    s.plain.append(stride, 'x');
    s.plain += "\"},";
  }
  return s;
}

TEST(PatchableDeflate, InflatesToThePlainTextAndFieldsAreVerbatim) {
  for (size_t stride : {0, 10, 100, 1000}) {
    Sample s = sample(50, stride);
    std::string out;
    std::vector<size_t> at;
    ASSERT_TRUE(deflate_patchable(s.plain, s.fields, {}, out, at).ok());
    append_final_stored_block(out);
    EXPECT_EQ(inflate_raw(out), s.plain) << stride;
    ASSERT_EQ(at.size(), s.fields.size());
    for (size_t i = 0; i < at.size(); ++i) EXPECT_EQ(out.substr(at[i], 10), "0000000000");
    if (stride >= 100) {
      EXPECT_LT(out.size(), s.plain.size() / 2) << "the text between the fields is compressed";
    }
  }
}

TEST(PatchableDeflate, PatchingTheWireIsPatchingThePlainText) {
  // If any compressed piece referred back to a field's bytes, the patched digits would show up
  // twice after inflating, and the comparison would fail.
  Sample s = sample(200, 80);
  std::string out;
  std::vector<size_t> at;
  ASSERT_TRUE(deflate_patchable(s.plain, s.fields, {.level = 9}, out, at).ok());
  append_final_stored_block(out);
  std::mt19937 random(3);
  for (size_t i = 0; i < s.fields.size(); ++i) {
    std::string digits = std::to_string(random() % 10'000'000'000ull);
    digits.insert(0, 10 - digits.size(), '0');
    s.plain.replace(s.fields[i].begin, 10, digits);
    out.replace(at[i], 10, digits);
  }
  EXPECT_EQ(inflate_raw(out), s.plain);
}

TEST(PatchableDeflate, ContinuesAStreamWithoutItsHistory) {
  // Two outputs back to back decode as one stream, and the second alone decodes too: a frame
  // can follow any earlier frame of a connection's stream.
  Sample a = sample(20, 50);
  Sample b = sample(20, 50);
  std::string first;
  std::string second;
  std::vector<size_t> at;
  ASSERT_TRUE(deflate_patchable(a.plain, a.fields, {}, first, at).ok());
  ASSERT_TRUE(deflate_patchable(b.plain, b.fields, {}, second, at).ok());
  append_final_stored_block(second);
  EXPECT_EQ(inflate_raw(first + second), a.plain + b.plain);
  EXPECT_EQ(inflate_raw(second), b.plain);
}

TEST(PatchableDeflate, EdgesOfTheLayout) {
  std::string out;
  std::vector<size_t> at;
  // No fields: one compressed piece.
  ASSERT_TRUE(deflate_patchable("hello hello hello", {}, {}, out, at).ok());
  append_final_stored_block(out);
  EXPECT_EQ(inflate_raw(out), "hello hello hello");
  // Fields at both ends, adjacent fields, and the whole text one field.
  std::string plain = "0123456789abcdefghij";
  std::vector<ByteRange> fields = {{0, 5}, {5, 10}, {18, 20}};
  out.clear();
  ASSERT_TRUE(deflate_patchable(plain, fields, {}, out, at).ok());
  append_final_stored_block(out);
  EXPECT_EQ(inflate_raw(out), plain);
  EXPECT_EQ(out.substr(at[0], 5), "01234");
  EXPECT_EQ(out.substr(at[1], 5), "56789");
  EXPECT_EQ(out.substr(at[2], 2), "ij");
  // Empty text.
  out.clear();
  ASSERT_TRUE(deflate_patchable("", {}, {}, out, at).ok());
  append_final_stored_block(out);
  EXPECT_EQ(inflate_raw(out), "");
}

TEST(PatchableDeflate, LongStoredRunsAreSplitBetweenFields) {
  // Fields every 12 bytes join into one run longer than a stored block can hold.
  std::string plain;
  std::vector<ByteRange> fields;
  for (int i = 0; i < 20'000; ++i) {
    fields.push_back({plain.size(), plain.size() + 10});
    plain += "0000000000..";
  }
  std::string out;
  std::vector<size_t> at;
  ASSERT_TRUE(deflate_patchable(plain, fields, {}, out, at).ok());
  append_final_stored_block(out);
  for (size_t i = 0; i < fields.size(); i += 997) out.replace(at[i], 10, "1234567890");
  for (size_t i = 0; i < fields.size(); i += 997) plain.replace(fields[i].begin, 10, "1234567890");
  EXPECT_EQ(inflate_raw(out), plain);
}

TEST(PatchableDeflate, StoredBlockLayout) {
  std::string out;
  EXPECT_EQ(append_stored_block("abc", out), 5u);
  EXPECT_EQ(out, std::string("\x00\x03\x00\xfc\xff"
                             "abc",
                             8));
  out.clear();
  append_final_stored_block(out);
  EXPECT_EQ(out, std::string("\x01\x00\x00\xff\xff", 5));
}

}  // namespace
}  // namespace sluice::bench
