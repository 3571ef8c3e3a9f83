#include "protocols/avro/netty_frame.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::avro {
namespace {

using namespace std::string_literals;
using Status = FrameDecoder::Status;

struct Decoded {
  int32_t serial;
  std::string payload;
  std::vector<std::string> buffers;
  bool operator==(const Decoded&) const = default;
};

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// Feeds `stream` in pieces of `step` bytes (each in its own heap buffer, freed after use, so
// the sanitizers catch a frame view that outlives its chunk) and collects the frames.
std::vector<Decoded> decode_all(FrameDecoder& d, std::string_view stream, size_t step, std::string* error = nullptr) {
  std::vector<Decoded> out;
  for (size_t at = 0; at < stream.size(); at += step) {
    const std::string chunk(stream.substr(at, step));
    std::string_view rest = chunk;
    while (!rest.empty()) {
      const auto r = d.decode(rest);
      if (r.status == Status::error) {
        if (error) *error = std::string(r.error);
        return out;
      }
      rest.remove_prefix(r.consumed);
      if (r.status == Status::need_more) {
        EXPECT_TRUE(rest.empty());
        break;
      }
      const Frame& f = d.frame();
      Decoded dec{f.serial, std::string(f.payload), {}};
      for (auto b : f.buffers) dec.buffers.emplace_back(b);
      out.push_back(std::move(dec));
    }
  }
  return out;
}

TEST(NettyFrame, EncodesJavaLayout) {
  std::string out;
  encode_frame(7, "abc", out);
  EXPECT_EQ(out, be32(7) + be32(1) + be32(3) + "abc");
  out.clear();
  const std::vector<std::string_view> buffers{"ab", "", "cde"};
  encode_frame(-2, buffers, out);
  EXPECT_EQ(out, be32(0xFFFFFFFE) + be32(3) + be32(2) + "ab" + be32(0) + be32(3) + "cde");
}

TEST(NettyFrame, OneBufferFrameInTheChunkIsNotCopied) {
  std::string stream;
  encode_frame(1, "hello", stream);
  encode_frame(2, "world!", stream);
  FrameDecoder d;
  std::string_view rest = stream;
  auto r = d.decode(rest);
  ASSERT_EQ(r.status, Status::frame);
  EXPECT_EQ(d.frame().serial, 1);
  EXPECT_EQ(d.frame().payload, "hello");
  EXPECT_EQ(d.frame().payload.data(), stream.data() + 12);
  ASSERT_EQ(d.frame().buffers.size(), 1u);
  rest.remove_prefix(r.consumed);
  r = d.decode(rest);
  ASSERT_EQ(r.status, Status::frame);
  EXPECT_EQ(d.frame().serial, 2);
  EXPECT_EQ(d.frame().payload, "world!");
  EXPECT_EQ(r.consumed, rest.size());
  EXPECT_TRUE(d.idle());
  EXPECT_EQ(d.buffer_capacity(), 0u);  // nothing was gathered
}

TEST(NettyFrame, SplitAtEveryByteAndMultiBufferFramesArePresentedAsOneStream) {
  std::string stream;
  std::vector<Decoded> want;
  const std::vector<std::string_view> parts{"handshake+meta", std::string_view("\0\x01", 2), "", "payload bytes"};
  encode_frame(10, parts, stream);
  want.push_back(
      {10, "handshake+meta"s + "\0\x01"s + "payload bytes", {"handshake+meta", "\0\x01"s, "", "payload bytes"}});
  encode_frame(11, "single", stream);
  want.push_back({11, "single", {"single"}});
  encode_frame(12, std::string(20000, 'z'), stream);
  want.push_back({12, std::string(20000, 'z'), {std::string(20000, 'z')}});
  const std::vector<std::string_view> empty_only{""};
  encode_frame(13, empty_only, stream);
  want.push_back({13, "", {""}});
  for (size_t step :
       {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{12}, size_t{13}, size_t{4096}, stream.size()}) {
    FrameDecoder d;
    std::string error;
    EXPECT_EQ(decode_all(d, stream, step, &error), want) << "step " << step;
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_TRUE(d.idle());
  }
}

TEST(NettyFrame, RandomSplitsOfManyFrames) {
  std::mt19937 rng(42);
  std::string stream;
  std::vector<Decoded> want;
  for (int i = 0; i < 200; ++i) {
    std::vector<std::string> bufs(1 + rng() % 4);
    for (auto& b : bufs) b = std::string(rng() % 300, static_cast<char>('a' + i % 26));
    std::vector<std::string_view> views(bufs.begin(), bufs.end());
    encode_frame(i, views, stream);
    std::string payload;
    for (auto& b : bufs) payload += b;
    want.push_back({i, payload, bufs});
  }
  FrameDecoder d;
  std::vector<Decoded> got;
  size_t at = 0;
  while (at < stream.size()) {
    const size_t n = std::min<size_t>(1 + rng() % 700, stream.size() - at);
    auto part = decode_all(d, std::string_view(stream).substr(at, n), n);
    got.insert(got.end(), part.begin(), part.end());
    at += n;
  }
  EXPECT_EQ(got, want);
}

TEST(NettyFrame, TruncatedStreamIsNotIdle) {
  std::string stream;
  encode_frame(1, "abcdef", stream);
  FrameDecoder d;
  EXPECT_TRUE(d.idle());
  const auto r = d.decode(std::string_view(stream).substr(0, stream.size() - 1));
  EXPECT_EQ(r.status, Status::need_more);
  EXPECT_FALSE(d.idle());
  const auto r2 = d.decode(std::string_view(stream).substr(stream.size() - 1));
  EXPECT_EQ(r2.status, Status::frame);
  EXPECT_EQ(d.frame().payload, "abcdef");
}

struct Hostile {
  const char* name;
  std::string bytes;
  const char* error;
};

TEST(NettyFrame, HostileHeadersAreRejectedBeforeAllocation) {
  FrameLimits limits;
  limits.buffers_max = 8;
  limits.buffer_bytes_max = 1000;
  limits.frame_bytes_max = 1500;
  const std::vector<Hostile> cases{
      {"negative count", be32(1) + be32(0xFFFFFFFF), "negative buffer count"},
      {"zero buffers", be32(1) + be32(0), "frame without buffers"},
      {"too many buffers", be32(1) + be32(9), "too many buffers in a frame"},
      {"huge count", be32(1) + be32(0x7FFFFFFF), "too many buffers in a frame"},
      {"negative length", be32(1) + be32(1) + be32(0x80000000), "negative buffer length"},
      {"huge buffer", be32(1) + be32(1) + be32(0x7FFFFFFF), "buffer larger than the limit"},
      {"buffer over limit", be32(1) + be32(1) + be32(1001), "buffer larger than the limit"},
      {"frame over limit", be32(1) + be32(2) + be32(1000) + std::string(1000, 'x') + be32(501),
       "frame larger than the limit"},
  };
  for (const auto& c : cases) {
    for (size_t step : {size_t{1}, c.bytes.size()}) {
      FrameDecoder d(limits);
      std::string error;
      EXPECT_TRUE(decode_all(d, c.bytes, step, &error).empty()) << c.name;
      EXPECT_EQ(error, c.error) << c.name;
      EXPECT_LE(d.buffer_capacity(), limits.frame_bytes_max) << c.name;
      // Sticky: the connection is unusable.
      const auto again = d.decode("x");
      EXPECT_EQ(again.status, Status::error) << c.name;
      EXPECT_EQ(again.consumed, 0u);
    }
  }
}

TEST(NettyFrame, AnnouncedButUnsentBytesCostNoMemory) {
  FrameDecoder d;  // default limits: 16 MiB buffers
  const std::string header = be32(1) + be32(1) + be32(16u << 20);
  const auto r = d.decode(header);
  EXPECT_EQ(r.status, Status::need_more);
  EXPECT_EQ(d.buffer_capacity(), 0u);
  const auto r2 = d.decode(std::string(100, 'x'));
  EXPECT_EQ(r2.status, Status::need_more);
  EXPECT_LT(d.buffer_capacity(), size_t{1} << 20);
}

TEST(NettyFrame, GatheringBufferIsReusedAndBounded) {
  FrameLimits limits;
  limits.frame_bytes_max = 100'000;
  FrameDecoder d(limits);
  for (int round = 0; round < 3; ++round) {
    std::string stream;
    const std::vector<std::string_view> parts{std::string_view("ab"), std::string_view("cd")};
    encode_frame(round, parts, stream);
    auto got = decode_all(d, stream, 3);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "abcd");
  }
  const size_t capacity = d.buffer_capacity();
  std::string big;
  const std::string body(99'000, 'q');
  encode_frame(9, body, big);
  auto got = decode_all(d, big, 1000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_GE(d.buffer_capacity(), capacity);
  EXPECT_LE(d.buffer_capacity(), limits.frame_bytes_max);
}

// The gathering buffer is charged to the budget as it grows; a growth the budget cannot pay
// is an error marked over_limit, and everything goes back (refusal, release_buffer, destruction).
TEST(NettyFrame, GatheringIsChargedToTheBudgetAndGivenBack) {
  int64_t gauge = 0;
  ByteBudget budget(
      size_t{1} << 20, [](void* g, int64_t delta) { *static_cast<int64_t*>(g) += delta; }, &gauge);
  const FrameLimits limits{.buffers_max = 16, .buffer_bytes_max = 4u << 20, .frame_bytes_max = 4u << 20};
  {
    FrameDecoder d(limits, &budget);
    // A frame of 512 KiB in two buffers, fed in 64 KiB pieces: gathered, charged, then served
    // and released.
    const std::string half(256 << 10, 'h');
    const std::vector<std::string_view> parts{half, half};
    std::string stream;
    encode_frame(1, parts, stream);
    auto r = d.decode(std::string_view(stream).substr(0, 300 << 10));
    EXPECT_EQ(r.status, Status::need_more);
    EXPECT_FALSE(d.idle());
    EXPECT_GE(budget.held(), size_t{300} << 10);
    EXPECT_EQ(static_cast<size_t>(gauge), budget.held());
    r = d.decode(std::string_view(stream).substr(r.consumed));
    ASSERT_EQ(r.status, Status::frame);
    EXPECT_EQ(d.frame().payload.size(), size_t{512} << 10);
    d.release_buffer();
    EXPECT_EQ(budget.held(), 0u);
    EXPECT_EQ(gauge, 0);

    // A frame of 2 MiB (under the frame limit) cannot be paid for: refused past the budget.
    std::string big;
    encode_frame(2, std::string(2 << 20, 'b'), big);
    std::string error;
    FrameDecoder d2(limits, &budget);
    auto got = decode_all(d2, big, 64 << 10, &error);
    EXPECT_TRUE(got.empty());
    EXPECT_NE(error.find("maxPartialBytesPerShard"), std::string::npos) << error;
    EXPECT_EQ(budget.held(), 0u);  // the refused decoder released what it held
    const auto again = d2.decode("x");
    EXPECT_EQ(again.status, Status::error);
    EXPECT_TRUE(again.over_limit);

    // A partial frame held by a decoder that goes away is given back too.
    FrameDecoder d3(limits, &budget);
    EXPECT_EQ(d3.decode(std::string_view(big).substr(0, 100 << 10)).status, Status::need_more);
    EXPECT_GT(budget.held(), 0u);
  }
  EXPECT_EQ(budget.held(), 0u);
  EXPECT_EQ(gauge, 0);
}

TEST(NettyFrame, SizeLimitsAreMarkedOverLimitGarbageIsNot) {
  FrameDecoder d({.buffers_max = 2, .buffer_bytes_max = 100, .frame_bytes_max = 150});
  auto r = d.decode(be32(1) + be32(1) + be32(101));
  EXPECT_EQ(r.status, Status::error);
  EXPECT_TRUE(r.over_limit);
  FrameDecoder g;
  r = g.decode(be32(1) + be32(0));
  EXPECT_EQ(r.status, Status::error);
  EXPECT_FALSE(r.over_limit);
}

}  // namespace
}  // namespace sluice::avro
