#include "protocols/avro/zlib_stream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::avro {
namespace {

using Status = Inflater::Status;

// Inflates everything in `in` through a small output buffer.
std::string inflate_all(Inflater& inf, std::string_view in, size_t out_bytes = 1000, Status* last = nullptr) {
  std::string out;
  std::vector<char> buffer(out_bytes);
  Status status = Status::ok;
  while (true) {
    const auto r = inf.inflate(in, buffer);
    EXPECT_LE(r.produced, buffer.size());
    out.append(buffer.data(), r.produced);
    in.remove_prefix(r.consumed);
    status = r.status;
    if (r.status != Status::ok || (in.empty() && r.produced < buffer.size())) break;
    if (r.consumed == 0 && r.produced == 0) break;
  }
  if (last) *last = status;
  return out;
}

TEST(ZlibStream, EveryWriteIsDecodableOnItsOwn) {
  // Flume's Netty pipeline: one zlib stream per connection, a sync flush after every frame.
  Deflater def;
  Inflater inf;
  std::string wire;
  for (int i = 0; i < 50; ++i) {
    const std::string msg = "frame " + std::to_string(i) + std::string(static_cast<size_t>(i) * 37, 'x');
    const size_t before = wire.size();
    def.deflate(msg, wire);
    const std::string_view piece = std::string_view(wire).substr(before);
    ASSERT_GE(piece.size(), 4u);
    // The sync flush marker ends every write.
    EXPECT_EQ(piece.substr(piece.size() - 4), std::string_view("\x00\x00\xff\xff", 4));
    EXPECT_EQ(inflate_all(inf, piece), msg) << i;
  }
  // The stream is zlib (RFC 1950): CMF 0x78, header checksum.
  ASSERT_GE(wire.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(wire[0]), 0x78);
  EXPECT_EQ(((static_cast<uint8_t>(wire[0]) << 8) | static_cast<uint8_t>(wire[1])) % 31, 0);
}

TEST(ZlibStream, SplitAtAnyByteAndFinish) {
  std::mt19937 rng(7);
  std::string data;
  for (int i = 0; i < 20000; ++i) data.push_back(static_cast<char>('a' + rng() % 6));
  Deflater def;
  std::string wire;
  def.deflate(data.substr(0, 10000), wire);
  def.deflate(data.substr(10000), wire);
  def.finish(wire);
  Inflater inf;
  std::string out;
  Status last = Status::ok;
  for (size_t at = 0; at < wire.size(); at += 13)
    out += inflate_all(inf, std::string_view(wire).substr(at, 13), 64, &last);
  EXPECT_EQ(out, data);
  EXPECT_EQ(last, Status::finished);
  EXPECT_EQ(inf.total_out(), data.size());
  // After the end, input is not consumed.
  std::vector<char> buffer(16);
  const auto r = inf.inflate("junk", buffer);
  EXPECT_EQ(r.status, Status::finished);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(ZlibStream, InteroperatesWithPlainZlib) {
  // zlib's own compress() output, as JZlib/JDK Deflater produce with the ZLIB wrapper.
  const std::string data(5000, 'k');
  uLongf size = compressBound(data.size());
  std::string wire(size, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(wire.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
                      data.size(), 6),
            Z_OK);
  wire.resize(size);
  Inflater inf;
  EXPECT_EQ(inflate_all(inf, wire), data);

  // And our stream inflates with plain zlib.
  Deflater def(DeflateOptions{.level = 9, .window_bits = 9, .mem_level = 1});
  std::string ours;
  def.deflate(data, ours);
  z_stream z{};
  ASSERT_EQ(inflateInit(&z), Z_OK);
  std::string back(data.size() + 10, '\0');
  z.next_in = reinterpret_cast<Bytef*>(ours.data());
  z.avail_in = static_cast<uInt>(ours.size());
  z.next_out = reinterpret_cast<Bytef*>(back.data());
  z.avail_out = static_cast<uInt>(back.size());
  EXPECT_EQ(inflate(&z, Z_SYNC_FLUSH), Z_OK);
  back.resize(back.size() - z.avail_out);
  inflateEnd(&z);
  EXPECT_EQ(back, data);
}

TEST(ZlibStream, BombIsBoundedByTheOutputBuffer) {
  const std::string zeros(8 << 20, '\0');
  Deflater def;
  std::string wire;
  def.deflate(zeros, wire);
  ASSERT_LT(wire.size(), 20'000u);
  Inflater inf;
  std::vector<char> buffer(4096);
  std::string_view in = wire;
  size_t calls = 0, total = 0;
  while (!in.empty() || total < zeros.size()) {
    const auto r = inf.inflate(in, buffer);
    ASSERT_EQ(r.status, Status::ok);
    ASSERT_LE(r.produced, buffer.size());
    in.remove_prefix(r.consumed);
    total += r.produced;
    ++calls;
    if (r.consumed == 0 && r.produced == 0) break;
  }
  EXPECT_EQ(total, zeros.size());
  EXPECT_GE(calls, zeros.size() / buffer.size());
}

TEST(ZlibStream, CorruptStreamsAreErrors) {
  std::vector<char> buffer(256);
  {  // not zlib at all (a Netty frame sent without compression)
    Inflater inf;
    const std::string frame("\x00\x00\x00\x01\x00\x00\x00\x01", 8);
    const auto r = inf.inflate(frame, buffer);
    EXPECT_EQ(r.status, Status::error);
    EXPECT_FALSE(r.error.empty());
    EXPECT_EQ(inf.inflate("more", buffer).status, Status::error);  // sticky
  }
  {  // raw deflate without the zlib header is not what Netty sends
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string in = "raw deflate", raw(100, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(raw.data());
    z.avail_out = static_cast<uInt>(raw.size());
    ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    raw.resize(raw.size() - z.avail_out);
    deflateEnd(&z);
    Inflater inf;
    EXPECT_EQ(inf.inflate(raw, buffer).status, Status::error);
  }
  {  // a flipped byte in the data
    Deflater def;
    std::string wire;
    def.deflate(std::string(3000, 'a') + "the end", wire);
    def.finish(wire);
    wire[wire.size() / 2] ^= 0x55;
    Inflater inf;
    Status last = Status::ok;
    inflate_all(inf, wire, 256, &last);
    EXPECT_EQ(last, Status::error);
  }
  {  // a wrong Adler-32 trailer
    Deflater def;
    std::string wire;
    def.deflate("checked", wire);
    def.finish(wire);
    wire.back() ^= 1;
    Inflater inf;
    Status last = Status::ok;
    inflate_all(inf, wire, 256, &last);
    EXPECT_EQ(last, Status::error);
  }
}

TEST(ZlibStream, MovedStreamsKeepWorking) {
  Deflater def;
  std::string wire;
  def.deflate("one", wire);
  Deflater moved = std::move(def);
  moved.deflate("two", wire);
  Inflater inf;
  Inflater inf2 = std::move(inf);
  EXPECT_EQ(inflate_all(inf2, wire), "onetwo");
}

}  // namespace
}  // namespace sluice::avro
