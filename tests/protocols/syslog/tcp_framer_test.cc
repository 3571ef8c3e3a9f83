#include "protocols/syslog/tcp_framer.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace sluice::syslog {

std::ostream& operator<<(std::ostream& os, TcpFramer::Status s) {
  switch (s) {
    case TcpFramer::Status::ok: return os << "ok";
    case TcpFramer::Status::paused: return os << "paused";
    case TcpFramer::Status::garbage: return os << "garbage";
  }
  return os << "?";
}

namespace {

using namespace std::string_literals;
using Status = TcpFramer::Status;

struct Frame {
  std::string bytes;
  bool truncated = false;
  bool operator==(const Frame&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Frame& f) {
  os << '"';
  for (char c : f.bytes) {
    if (c == '\n') os << "\\n";
    else if (c == '\r') os << "\\r";
    else if (c == '\0') os << "\\0";
    else os << c;
  }
  return os << '"' << (f.truncated ? " (truncated)" : "");
}

Frame F(std::string bytes, bool truncated = false) { return Frame{std::move(bytes), truncated}; }

// Drives a framer the way a connection does: each chunk lives in its own heap buffer that is
// freed after feed() returns (so the sanitizers catch a frame that outlives its chunk), and a
// paused chunk's rest is fed again. `accept(call)` decides whether call number `call` (from 1)
// takes its frame; a refused frame must be the next one offered.
class Driver {
 public:
  explicit Driver(size_t max, std::function<bool(size_t)> accept = {}) : framer(max), accept_(std::move(accept)) {}

  Status feed_all(std::string_view chunk) {
    for (size_t rounds = 0; rounds < 1000; ++rounds) {
      const std::string buffer(chunk);
      chunk_begin_ = buffer.data();
      chunk_end_ = buffer.data() + buffer.size();
      const auto r = framer.feed(buffer, callback());
      chunk_begin_ = chunk_end_ = nullptr;
      EXPECT_LE(framer.carry_capacity(), framer.message_bytes_max() + 2);
      EXPECT_LE(framer.buffered_bytes(), framer.carry_capacity());
      if (r.status == Status::ok) {
        EXPECT_EQ(r.consumed, chunk.size());
        EXPECT_TRUE(r.error.empty());
        return Status::ok;
      }
      if (r.status == Status::garbage) {
        error = std::string(r.error);
        return Status::garbage;
      }
      EXPECT_LE(r.consumed, chunk.size());
      ++pauses;
      chunk.remove_prefix(r.consumed);
    }
    ADD_FAILURE() << "feed never finished";
    return Status::paused;
  }

  Status finish_all() {
    for (size_t rounds = 0; rounds < 1000; ++rounds) {
      const auto r = framer.finish(callback());
      if (r.status == Status::garbage) error = std::string(r.error);
      if (r.status != Status::paused) {
        if (r.status == Status::ok) {
          EXPECT_EQ(framer.buffered_bytes(), 0u);
        }
        return r.status;
      }
      ++pauses;
    }
    ADD_FAILURE() << "finish never finished";
    return Status::paused;
  }

  Status feed_chunks(const std::vector<std::string>& chunks, bool finish = true) {
    for (const auto& c : chunks) {
      const Status s = feed_all(c);
      if (s != Status::ok) return s;
    }
    return finish ? finish_all() : Status::ok;
  }

  TcpFramer framer;
  std::vector<Frame> frames;
  size_t calls = 0;
  size_t pauses = 0;
  size_t zero_copy_frames = 0;
  std::string error;

 private:
  std::function<bool(std::string_view, bool)> callback() {
    return [this](std::string_view frame, bool truncated) {
      ++calls;
      if (frame.data() >= chunk_begin_ && frame.data() + frame.size() <= chunk_end_ && chunk_begin_) ++zero_copy_frames;
      if (refused_) {
        EXPECT_EQ(F(std::string(frame), truncated), *refused_) << "a refused frame must come back first";
        refused_.reset();
      }
      if (accept_ && !accept_(calls)) {
        refused_ = F(std::string(frame), truncated);
        return false;
      }
      frames.push_back(F(std::string(frame), truncated));
      return true;
    };
  }

  std::function<bool(size_t)> accept_;
  std::optional<Frame> refused_;
  const char* chunk_begin_ = nullptr;
  const char* chunk_end_ = nullptr;
};

std::vector<Frame> frames_of(size_t max, std::string_view stream) {
  Driver d(max);
  EXPECT_EQ(d.feed_chunks({std::string(stream)}), Status::ok);
  return d.frames;
}

// ---- LF framing ----

TEST(TcpFramer, LfFrames) {
  EXPECT_EQ(frames_of(100, "a\nbb\r\nccc\n"), (std::vector<Frame>{F("a"), F("bb"), F("ccc")}));
}

TEST(TcpFramer, SeparatorsBetweenFramesAreSkipped) {
  EXPECT_EQ(frames_of(100, "\n\r\n\0a\n\n\nb\r\n\0\0\r"s), (std::vector<Frame>{F("a"), F("b")}));
  EXPECT_EQ(frames_of(100, "\n\n\r\n"), std::vector<Frame>{});
}

TEST(TcpFramer, OnlyOneTrailingCrIsDropped) {
  EXPECT_EQ(frames_of(100, "a\rb\nc\r\r\nd\0e\n"s), (std::vector<Frame>{F("a\rb"), F("c\r"), F("d\0e"s)}));
}

// ---- octet counting ----

TEST(TcpFramer, OctetCountedFrames) {
  EXPECT_EQ(frames_of(100, "5 hello3 abc11 hello\nworld"),
            (std::vector<Frame>{F("hello"), F("abc"), F("hello\nworld")}));
}

TEST(TcpFramer, OctetCountedFrameEndingInLineEnd) {
  // loggen -P counts the LF it appends.
  EXPECT_EQ(frames_of(100, "6 hello\n7 hello\r\n2 \r\n1 \n"),
            (std::vector<Frame>{F("hello"), F("hello"), F(""), F("")}));
}

TEST(TcpFramer, NineDigitCountIsAllowed) {
  Driver d(16);
  EXPECT_EQ(d.feed_all("123456789 abc"), Status::ok);
  EXPECT_TRUE(d.frames.empty());
  EXPECT_EQ(d.feed_all(std::string(1 << 20, 'x')), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("abc" + std::string(13, 'x'), true)}));
  EXPECT_EQ(d.framer.buffered_bytes(), 0u) << "the rest is skipped, not kept";
  EXPECT_EQ(d.finish_all(), Status::ok);
}

TEST(TcpFramer, MixedFramingPerMessage) {
  const std::string stream = "<13>a\n5 <13>b<14>c\r\n12 <15>d\nmulti\n\n3 xyz<16>e";
  EXPECT_EQ(frames_of(100, stream),
            (std::vector<Frame>{F("<13>a"), F("<13>b"), F("<14>c"), F("<15>d\nmulti"), F("xyz"), F("<16>e")}));
}

TEST(TcpFramer, WholeFramesInAChunkAreNotCopied) {
  Driver d(100);
  EXPECT_EQ(d.feed_all("<13>a\n5 <13>b<14>c\r\n"), Status::ok);
  EXPECT_EQ(d.frames.size(), 3u);
  EXPECT_EQ(d.zero_copy_frames, 3u);
  EXPECT_EQ(d.framer.carry_capacity(), 0u) << "nothing was buffered, nothing allocated";
}

// ---- chunking: every split gives the same frames ----

const std::string kStream =
    "<13>Nov 21 05:10:00 h a: one\n"
    "\r\n"
    "45 <165>1 2003-10-11T22:14:15.003Z h a - - - two"
    "<13>three\r\n"
    "abcdefghij0123456789-too-long\n"    // LF, oversized for max 16
    "30 0123456789abcdefghijklmnopqrst"  // octet, oversized (30 > 16)
    "\0"
    "16 exactly-16-bytes"     // octet, exactly max
    "exactly-16-bytes\r\n"    // LF, exactly max, with CR
    "exactly-16-bytesX\n"     // LF, max + 1
    "exactly-16-bytes\r\r\n"  // LF, max + CR + CR: truncated
    "7 seven\r\n"
    "last-without-lf"s;

std::vector<Frame> stream_frames(size_t max) {
  Driver d(max);
  EXPECT_EQ(d.feed_chunks({kStream}), Status::ok);
  return d.frames;
}

TEST(TcpFramer, StreamReferenceFrames) {
  // The reference every chunking is compared with, spelled out once.
  const std::vector<Frame> expected = {
      F("<13>Nov 21 05:10", true),
      F("<165>1 2003-10-1", true),
      F("<13>three"),
      F("abcdefghij012345", true),
      F("0123456789abcdef", true),
      F("exactly-16-bytes"),
      F("exactly-16-bytes"),
      F("exactly-16-bytes", true),
      F("exactly-16-bytes", true),
      F("seven"),
      F("last-without-lf"),
  };
  EXPECT_EQ(stream_frames(16), expected);
}

TEST(TcpFramer, SplitAtEveryPosition) {
  for (size_t max : {16u, 100u}) {
    const auto expected = stream_frames(max);
    for (size_t i = 0; i <= kStream.size(); ++i) {
      Driver d(max);
      ASSERT_EQ(d.feed_chunks({kStream.substr(0, i), kStream.substr(i)}), Status::ok) << i;
      ASSERT_EQ(d.frames, expected) << "split at " << i << ", max " << max;
    }
  }
}

TEST(TcpFramer, SplitAtEveryPairOfPositions) {
  const auto expected = stream_frames(16);
  for (size_t i = 0; i <= kStream.size(); ++i) {
    for (size_t j = i; j <= kStream.size(); ++j) {
      Driver d(16);
      ASSERT_EQ(d.feed_chunks({kStream.substr(0, i), kStream.substr(i, j - i), kStream.substr(j)}), Status::ok);
      ASSERT_EQ(d.frames, expected) << "splits at " << i << ", " << j;
    }
  }
}

TEST(TcpFramer, OneByteAtATime) {
  for (size_t max : {1u, 2u, 16u, 100u}) {
    const auto expected = stream_frames(max);
    Driver d(max);
    std::vector<std::string> chunks;
    for (char c : kStream) chunks.emplace_back(1, c);
    ASSERT_EQ(d.feed_chunks(chunks), Status::ok);
    EXPECT_EQ(d.frames, expected) << "max " << max;
    if (max == 100) {
      EXPECT_EQ(d.zero_copy_frames, 0u) << "every frame spans chunks";
    }
  }
}

std::vector<std::string> random_chunks(const std::string& s, std::mt19937& rng, size_t chunk_max) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = std::uniform_int_distribution<size_t>(0, chunk_max)(rng);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

TEST(TcpFramer, RandomChunkingsWithRefusals) {
  std::mt19937 rng(20261121);
  const auto expected = stream_frames(16);
  for (int round = 0; round < 2000; ++round) {
    const auto chunks = random_chunks(kStream, rng, 1 + round % 40);
    // Refuse every 2nd or 3rd offer, or never.
    const size_t every = round % 3 == 0 ? 0 : 1 + round % 3;
    Driver d(16, [every](size_t call) { return every == 0 || call % every != 0; });
    ASSERT_EQ(d.feed_chunks(chunks), Status::ok) << "round " << round;
    ASSERT_EQ(d.frames, expected) << "round " << round;
    if (every) {
      EXPECT_GT(d.pauses, 0u);
    }
  }
}

TEST(TcpFramer, ManyMessagesRandomlyChunked) {
  std::mt19937 rng(7);
  std::string stream;
  std::vector<Frame> expected;
  for (int i = 0; i < 300; ++i) {
    std::string msg = "<13>1 - host app " + std::to_string(i) + " - - " + std::string(rng() % 300, 'a' + i % 26);
    const bool truncated = msg.size() + (i % 4 == 3 ? 1 : 0) > 200;  // case 3 counts its LF
    switch (i % 4) {
      case 0: stream += msg + "\n"; break;
      case 1: stream += msg + "\r\n"; break;
      case 2: stream += std::to_string(msg.size()) + " " + msg; break;
      case 3: stream += std::to_string(msg.size() + 1) + " " + msg + "\n\n"; break;
    }
    expected.push_back(F(truncated ? msg.substr(0, 200) : msg, truncated));
  }
  for (int round = 0; round < 50; ++round) {
    Driver d(200, [round](size_t call) { return round % 2 == 0 || call % 5 != 0; });
    ASSERT_EQ(d.feed_chunks(random_chunks(stream, rng, 1 + 700 * (round % 5))), Status::ok);
    ASSERT_EQ(d.frames, expected) << "round " << round;
  }
}

// ---- oversized frames ----

TEST(TcpFramer, OversizedLfFrameInOneChunk) {
  EXPECT_EQ(frames_of(8, "abcdefghijklm\nnext\n"), (std::vector<Frame>{F("abcdefgh", true), F("next")}));
  EXPECT_EQ(frames_of(8, "abcdefgh\n"), (std::vector<Frame>{F("abcdefgh")}));
  EXPECT_EQ(frames_of(8, "abcdefgh\r\n"), (std::vector<Frame>{F("abcdefgh")}));
  EXPECT_EQ(frames_of(8, "abcdefgh8\n"), (std::vector<Frame>{F("abcdefgh", true)}));
  // No LF in the chunk, but certainly too long: delivered at once, the rest skipped.
  Driver d(8);
  EXPECT_EQ(d.feed_all("abcdefgh89"), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("abcdefgh", true)}));
  EXPECT_EQ(d.framer.buffered_bytes(), 0u);
  EXPECT_EQ(d.feed_all("more and more"), Status::ok);
  EXPECT_EQ(d.feed_all("still\nok\n"), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("abcdefgh", true), F("ok")}));
  // Exactly max + 1 bytes ending in CR: wait for the next byte.
  Driver e(8);
  EXPECT_EQ(e.feed_all("abcdefgh\r"), Status::ok);
  EXPECT_TRUE(e.frames.empty());
  EXPECT_EQ(e.framer.buffered_bytes(), 9u);
  EXPECT_EQ(e.feed_all("\n"), Status::ok);
  EXPECT_EQ(e.frames, (std::vector<Frame>{F("abcdefgh")}));
}

TEST(TcpFramer, HugeLfFrameIsNeverBuffered) {
  Driver d(100);
  EXPECT_EQ(d.feed_all("x"), Status::ok);
  const std::string chunk(4096, 'y');
  for (int i = 0; i < 256; ++i) {
    ASSERT_EQ(d.feed_all(chunk), Status::ok);
    ASSERT_LE(d.framer.buffered_bytes(), 102u);
  }
  EXPECT_EQ(d.feed_all("tail\nnext\n"), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("x" + std::string(99, 'y'), true), F("next")}));
  EXPECT_EQ(d.framer.carry_capacity(), 102u);
}

TEST(TcpFramer, OversizedOctetFrame) {
  EXPECT_EQ(frames_of(8, "20 0123456789abcdefghij5 hello"), (std::vector<Frame>{F("01234567", true), F("hello")}));
  Driver d(8);
  EXPECT_EQ(d.feed_all("20 0123"), Status::ok);
  EXPECT_EQ(d.feed_all("4567"), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("01234567", true)}));
  EXPECT_EQ(d.framer.buffered_bytes(), 0u);
  EXPECT_EQ(d.feed_all("89abcdefgh"), Status::ok);
  EXPECT_EQ(d.feed_all("ij2 ok"), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("01234567", true), F("ok")}));
  EXPECT_LE(d.framer.carry_capacity(), 10u);
}

TEST(TcpFramer, CarryGrowsOnDemandUpToItsLimit) {
  {
    Driver d(10000);
    const std::string frame(3000, 'g');
    for (size_t i = 0; i < frame.size(); i += 100) {
      ASSERT_EQ(d.feed_all(frame.substr(i, 100)), Status::ok);
      EXPECT_EQ(d.framer.buffered_bytes(), i + 100);
    }
    EXPECT_EQ(d.framer.carry_capacity(), 4096u) << "512, 1024, 2048, 4096";
    ASSERT_EQ(d.feed_all("\n"), Status::ok);
    EXPECT_EQ(d.frames, (std::vector<Frame>{F(frame)}));
  }
  {
    Driver d(1000);
    for (int i = 0; i < 30; ++i) ASSERT_EQ(d.feed_all(std::string(100, 'h')), Status::ok);
    EXPECT_EQ(d.framer.carry_capacity(), 1002u);
    ASSERT_EQ(d.feed_all("\n"), Status::ok);
    EXPECT_EQ(d.frames, (std::vector<Frame>{F(std::string(1000, 'h'), true)}));
  }
}

TEST(TcpFramer, MovesWithItsCarry) {
  TcpFramer first(100);
  auto ignore = [](std::string_view, bool) { return true; };
  EXPECT_EQ(first.feed("<13>par", ignore).status, Status::ok);
  TcpFramer moved(std::move(first));
  EXPECT_EQ(moved.buffered_bytes(), 7u);
  std::string got;
  EXPECT_EQ(moved.feed("tial\n", [&](std::string_view f, bool) { return got = f, true; }).status, Status::ok);
  EXPECT_EQ(got, "<13>partial");
}

TEST(TcpFramerDeathTest, ZeroLimitIsAProgrammerError) {
  EXPECT_DEATH(TcpFramer framer(0), "message_bytes_max must be positive");
}

TEST(TcpFramer, MaxOfOneByte) {
  EXPECT_EQ(frames_of(1, "ab\nc\n3 xyz1 q"), (std::vector<Frame>{F("a", true), F("c"), F("x", true), F("q")}));
}

// ---- garbage ----

TEST(TcpFramer, GarbageLengths) {
  struct Case {
    std::string stream;
    size_t consumed;
    std::string_view error;
    size_t frames;
  };
  const Case cases[] = {
      {"0 x", 0, "octet count is 0 or has a leading zero", 0},
      {"05 hello", 0, "octet count is 0 or has a leading zero", 0},
      {"1234567890 x", 9, "octet count longer than 9 digits", 0},
      {"12x", 2, "octet count not followed by a space", 0},
      {"12\n", 2, "octet count not followed by a space", 0},
      {"a\n12x", 4, "octet count not followed by a space", 1},
      {"3 abc\n\n2026-11-21 date-led LF frame\n", 11, "octet count not followed by a space", 1},
  };
  for (const auto& c : cases) {
    TcpFramer framer(100);
    size_t frames = 0;
    auto on_frame = [&](std::string_view, bool) { return ++frames, true; };
    const auto r = framer.feed(c.stream, on_frame);
    EXPECT_EQ(r.status, Status::garbage) << c.stream;
    EXPECT_EQ(r.consumed, c.consumed) << c.stream;
    EXPECT_EQ(r.error, c.error) << c.stream;
    EXPECT_EQ(frames, c.frames) << c.stream;
    // The framer stays broken.
    const auto again = framer.feed("<13>fine\n", on_frame);
    EXPECT_EQ(again.status, Status::garbage);
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_EQ(again.error, c.error);
    const auto end = framer.finish(on_frame);
    EXPECT_EQ(end.status, Status::garbage);
    EXPECT_EQ(end.error, c.error);
    EXPECT_EQ(frames, c.frames) << c.stream;
  }
}

TEST(TcpFramer, GarbageAcrossChunks) {
  Driver d(100);
  EXPECT_EQ(d.feed_all("1234"), Status::ok);
  EXPECT_EQ(d.feed_all("56789"), Status::ok);
  EXPECT_EQ(d.feed_all("0 x"), Status::garbage);
  EXPECT_EQ(d.error, "octet count longer than 9 digits");
  Driver e(100);
  EXPECT_EQ(e.feed_all("<13>a\n12"), Status::ok);
  EXPECT_EQ(e.feed_all("x"), Status::garbage);
  EXPECT_EQ(e.error, "octet count not followed by a space");
  EXPECT_EQ(e.frames, (std::vector<Frame>{F("<13>a")}));
}

// ---- backpressure ----

TEST(TcpFramer, PauseOnAnLfFrameInTheChunk) {
  TcpFramer framer(100);
  std::vector<std::string> got;
  bool open = false;
  auto on_frame = [&](std::string_view f, bool) {
    if (!open) return false;
    got.emplace_back(f);
    return true;
  };
  const std::string chunk = "\r\na\nb\n";
  auto r = framer.feed(chunk, on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 2u) << "the separators before the refused frame are used";
  EXPECT_EQ(framer.buffered_bytes(), 0u) << "a frame in the chunk is not copied to be kept";
  r = framer.feed(std::string_view(chunk).substr(2), on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 0u);
  open = true;
  r = framer.feed(std::string_view(chunk).substr(2), on_frame);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.consumed, 4u);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
}

TEST(TcpFramer, PauseOnTheSecondFrame) {
  TcpFramer framer(100);
  int calls = 0;
  auto r = framer.feed("a\nb\n", [&](std::string_view, bool) { return ++calls == 1; });
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 2u);
}

TEST(TcpFramer, PauseOnAnOctetFrameInTheChunk) {
  TcpFramer framer(100);
  std::vector<std::string> got;
  bool open = false;
  auto on_frame = [&](std::string_view f, bool) {
    if (!open) return false;
    got.emplace_back(f);
    return true;
  };
  auto r = framer.feed("5 hello", on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 2u) << "the count is used; the frame is left in the chunk";
  EXPECT_EQ(framer.buffered_bytes(), 0u);
  open = true;
  r = framer.feed("hello2 ok", on_frame);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "ok"}));
}

TEST(TcpFramer, PauseOnAnOversizedFrameInTheChunk) {
  TcpFramer framer(4);
  std::vector<std::string> got;
  bool open = false;
  auto on_frame = [&](std::string_view f, bool truncated) {
    if (!open) return false;
    got.push_back(std::string(f) + (truncated ? "~" : ""));
    return true;
  };
  const std::string chunk = "abcdefgh\n9 123456789xyz";
  auto r = framer.feed(chunk, on_frame);
  ASSERT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 0u);
  open = true;
  r = framer.feed(chunk, [&](std::string_view f, bool t) { return got.size() < 1 ? on_frame(f, t) : false; });
  ASSERT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 11u) << "after the skipped LF frame and the count";
  r = framer.feed(std::string_view(chunk).substr(11), on_frame);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(got, (std::vector<std::string>{"abcd~", "1234~"}));
  r = framer.feed("\n", on_frame);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got.back(), "xyz");
}

TEST(TcpFramer, PauseOnAnLfFrameInTheCarryBuffer) {
  TcpFramer framer(100);
  std::vector<std::string> got;
  bool open = false;
  auto on_frame = [&](std::string_view f, bool) {
    if (!open) return false;
    got.emplace_back(f);
    return true;
  };
  EXPECT_EQ(framer.feed("hel", on_frame).status, Status::ok);
  auto r = framer.feed("lo\nx\n", on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 3u) << "the frame's bytes are in the carry buffer";
  EXPECT_EQ(framer.buffered_bytes(), 5u);
  // Still refused: nothing of the new chunk is used.
  r = framer.feed("x\n", on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 0u);
  open = true;
  r = framer.feed("x\n", on_frame);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "x"}));
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(TcpFramer, PendingFrameWithAnEmptyChunk) {
  TcpFramer framer(100);
  bool open = false;
  int delivered = 0;
  auto on_frame = [&](std::string_view f, bool) {
    if (open) ++delivered;
    return open;
  };
  EXPECT_EQ(framer.feed("4 ab", on_frame).status, Status::ok);
  auto r = framer.feed("cd", on_frame);
  EXPECT_EQ(r.status, Status::paused);
  EXPECT_EQ(r.consumed, 2u);
  open = true;
  r = framer.feed("", on_frame);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(delivered, 1);
}

TEST(TcpFramer, PauseOnATruncatedFrameInTheCarryBuffer) {
  {
    Driver d(4, [](size_t call) { return call != 1; });
    EXPECT_EQ(d.feed_all("abc"), Status::ok);
    EXPECT_EQ(d.feed_all("defgh\nz\n"), Status::ok);
    EXPECT_EQ(d.frames, (std::vector<Frame>{F("abcd", true), F("z")}));
    EXPECT_EQ(d.pauses, 1u);
  }
  {
    // The refused head of an oversized octet frame; the rest is skipped after it.
    TcpFramer framer(4);
    std::vector<Frame> got;
    bool open = false;
    auto on_frame = [&](std::string_view f, bool t) {
      if (open) got.push_back(F(std::string(f), t));
      return open;
    };
    EXPECT_EQ(framer.feed("10 ab", on_frame).status, Status::ok);
    auto r = framer.feed("cdefghij", on_frame);
    EXPECT_EQ(r.status, Status::paused);
    EXPECT_EQ(r.consumed, 2u);
    open = true;
    r = framer.feed("efghij2 xy", on_frame);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(got, (std::vector<Frame>{F("abcd", true), F("xy")}));
  }
  {
    // An oversized LF frame with no LF yet: the rest is skipped up to the LF.
    TcpFramer framer(4);
    std::vector<Frame> got;
    bool open = false;
    auto on_frame = [&](std::string_view f, bool t) {
      if (open) got.push_back(F(std::string(f), t));
      return open;
    };
    EXPECT_EQ(framer.feed("ab", on_frame).status, Status::ok);
    auto r = framer.feed("cdefg", on_frame);
    EXPECT_EQ(r.status, Status::paused);
    EXPECT_EQ(r.consumed, 4u);
    open = true;
    r = framer.feed("g-skipped\nok\n", on_frame);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(got, (std::vector<Frame>{F("abcd", true), F("ok")}));
  }
}

// ---- end of stream ----

TEST(TcpFramer, FinishDeliversATrailingLfFrame) {
  Driver d(100);
  EXPECT_EQ(d.feed_chunks({"a\nab", "c\r"}), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("a"), F("abc")}));
  // The framer can be used again.
  EXPECT_EQ(d.feed_chunks({"x\n"}), Status::ok);
  EXPECT_EQ(d.frames.back(), F("x"));
}

TEST(TcpFramer, FinishDeliversAShortOctetFrameAsTruncated) {
  Driver d(100);
  EXPECT_EQ(d.feed_chunks({"5 he"}), Status::ok);
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("he", true)}));
  Driver e(100);
  EXPECT_EQ(e.feed_chunks({"5 "}), Status::ok);
  EXPECT_TRUE(e.frames.empty());
}

TEST(TcpFramer, FinishInsideAnOctetCount) {
  Driver d(100);
  EXPECT_EQ(d.feed_chunks({"<13>a\n12"}), Status::garbage);
  EXPECT_EQ(d.error, "stream ended inside an octet count");
  EXPECT_EQ(d.frames, (std::vector<Frame>{F("<13>a")}));
}

TEST(TcpFramer, FinishWithNothingOrInsideASkip) {
  for (std::string stream : {""s, "a\n"s, "\r\n"s, "abcdefghij"s, "20 0123456789"s}) {
    Driver d(8);
    EXPECT_EQ(d.feed_chunks({stream}), Status::ok) << stream;
    EXPECT_LE(d.frames.size(), 1u);
    EXPECT_EQ(d.framer.buffered_bytes(), 0u);
  }
}

TEST(TcpFramer, FinishPausesAndResumes) {
  {
    TcpFramer framer(100);
    bool open = false;
    std::vector<std::string> got;
    auto on_frame = [&](std::string_view f, bool) {
      if (open) got.emplace_back(f);
      return open;
    };
    EXPECT_EQ(framer.feed("abc", on_frame).status, Status::ok);
    EXPECT_EQ(framer.finish(on_frame).status, Status::paused);
    EXPECT_EQ(framer.buffered_bytes(), 3u);
    EXPECT_EQ(framer.finish(on_frame).status, Status::paused);
    open = true;
    EXPECT_EQ(framer.finish(on_frame).status, Status::ok);
    EXPECT_EQ(got, (std::vector<std::string>{"abc"}));
  }
  {
    // A frame refused by feed() is delivered by finish() first, then the trailing one.
    TcpFramer framer(100);
    bool open = false;
    std::vector<std::string> got;
    auto on_frame = [&](std::string_view f, bool) {
      if (open) got.emplace_back(f);
      return open;
    };
    EXPECT_EQ(framer.feed("ab", on_frame).status, Status::ok);
    EXPECT_EQ(framer.feed("c\nde", on_frame).status, Status::paused);
    EXPECT_EQ(framer.finish(on_frame).status, Status::paused);
    open = true;
    // The unconsumed "de" is fed again before the end, as a connection would.
    EXPECT_EQ(framer.feed("de", on_frame).status, Status::ok);
    EXPECT_EQ(framer.finish(on_frame).status, Status::ok);
    EXPECT_EQ(got, (std::vector<std::string>{"abc", "de"}));
  }
  {
    TcpFramer framer(100);
    int offers = 0;
    std::vector<std::string> got;
    auto on_frame = [&](std::string_view f, bool) {
      if (++offers == 1) return false;
      got.emplace_back(f);
      return true;
    };
    EXPECT_EQ(framer.feed("9 abc", on_frame).status, Status::ok);
    EXPECT_EQ(framer.finish(on_frame).status, Status::paused);
    EXPECT_EQ(framer.finish(on_frame).status, Status::ok);
    EXPECT_EQ(got, (std::vector<std::string>{"abc"}));
  }
}

}  // namespace
}  // namespace sluice::syslog
