#include "protocols/http/body_decoding.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/protocols/http/captured_requests.h"
#include "tests/protocols/http/http_test_support.h"

namespace sluice::http {
namespace {

using testing::compress;
using testing::gzip;
using testing::PaddedText;

std::string decoded(BodyDecoder& d, ContentEncoding encoding, std::string_view body, HttpError* error = nullptr) {
  std::string_view out;
  const HttpError e = d.decode(encoding, body, out);
  if (error) *error = e;
  EXPECT_TRUE(e.ok() || error) << e.message;
  if (!e.ok()) return "<error>";
  // The padding after the output is readable.
  volatile char last = out.data()[out.size() + kBodyPaddingBytes - 1];
  (void)last;
  return std::string(out);
}

HttpError failure(ContentEncoding encoding, std::string_view body, size_t limit = 1 << 20) {
  BodyDecoder d({.decoded_bytes_max = limit});
  HttpError e;
  decoded(d, encoding, body, &e);
  return e;
}

TEST(BodyDecoding, CurlGzipBody) {
  const std::string_view request = testing::kCurlGzip;
  const std::string_view body = request.substr(request.find("\r\n\r\n") + 4);
  ASSERT_EQ(body.size(), 205u);
  BodyDecoder d({});
  EXPECT_EQ(decoded(d, ContentEncoding::gzip, body), testing::kBigJson);
}

TEST(BodyDecoding, IdentityIsTheBodyItself) {
  BodyDecoder d({});
  const PaddedText body("plain");
  std::string_view out;
  ASSERT_TRUE(d.decode(ContentEncoding::identity, body, out).ok());
  EXPECT_EQ(out.data(), body.view().data());
  EXPECT_EQ(d.buffer_capacity(), 0u);
}

TEST(BodyDecoding, IdentityOverTheLimit) { EXPECT_EQ(failure(ContentEncoding::identity, "12345", 4).status, 413); }

TEST(BodyDecoding, DeflateZlibAndRaw) {
  const std::string text = "deflated text, deflated text, deflated text";
  BodyDecoder d({});
  EXPECT_EQ(decoded(d, ContentEncoding::deflate, compress(text, 15)), text);
  EXPECT_EQ(decoded(d, ContentEncoding::deflate, compress(text, -15)), text);
}

TEST(BodyDecoding, GzipAcceptsOnlyTheGzipWrapper) {
  const HttpError e = failure(ContentEncoding::gzip, compress("zlib, not gzip", 15));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "corrupt compressed body");
}

TEST(BodyDecoding, ConcatenatedGzipMembers) {
  BodyDecoder d({});
  EXPECT_EQ(decoded(d, ContentEncoding::gzip, gzip("first ") + gzip("second ") + gzip("")), "first second ");
}

TEST(BodyDecoding, EmptyGzipMember) {
  BodyDecoder d({});
  EXPECT_EQ(decoded(d, ContentEncoding::gzip, gzip("")), "");
}

TEST(BodyDecoding, Corrupt) {
  std::string z = gzip(std::string(testing::kBigJson));
  z[z.size() / 2] ^= 0x55;
  const HttpError e = failure(ContentEncoding::gzip, z);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "corrupt compressed body");
  EXPECT_EQ(failure(ContentEncoding::gzip, "not gzip at all").status, 400);
  std::string bad_crc = gzip("payload");
  bad_crc[bad_crc.size() - 6] ^= 1;  // the CRC32 in the trailer
  EXPECT_EQ(failure(ContentEncoding::gzip, bad_crc).message, "corrupt compressed body");
}

TEST(BodyDecoding, Truncated) {
  const std::string z = gzip(std::string(testing::kBigJson));
  for (size_t cut : {size_t{0}, size_t{1}, size_t{10}, z.size() / 2, z.size() - 1}) {
    const HttpError e = failure(ContentEncoding::gzip, std::string_view(z).substr(0, cut));
    EXPECT_EQ(e.status, 400) << cut;
    EXPECT_EQ(e.message, "truncated compressed body") << cut;
  }
}

TEST(BodyDecoding, TrailingGarbage) {
  const HttpError e = failure(ContentEncoding::gzip, gzip("ok") + "garbage");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "data after the end of the compressed body");
  EXPECT_EQ(failure(ContentEncoding::deflate, compress("ok", 15) + "x").status, 400);
}

TEST(BodyDecoding, ExactlyAtTheLimit) {
  const std::string text(1000, 'a');
  BodyDecoder d({.decoded_bytes_max = 1000});
  EXPECT_EQ(decoded(d, ContentEncoding::gzip, gzip(text)), text);
  EXPECT_EQ(failure(ContentEncoding::gzip, gzip(text + "b"), 1000).status, 413);
}

TEST(BodyDecoding, ZipBombStopsAtTheLimit) {
  const std::string bomb = gzip(std::string(64 << 20, '\0'));  // 64 MiB of zeros in ~64 KiB
  ASSERT_LT(bomb.size(), 100u << 10);
  BodyDecoder d({.decoded_bytes_max = 1 << 20});
  HttpError e;
  decoded(d, ContentEncoding::gzip, bomb, &e);
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(e.message, "decompressed request body too large");
  EXPECT_LE(d.buffer_capacity(), (1u << 20) + 1);
}

TEST(BodyDecoding, BufferReusedOnceWarm) {
  BodyDecoder d({});
  const std::string z = gzip(std::string(testing::kBigJson));
  std::string_view first;
  ASSERT_TRUE(d.decode(ContentEncoding::gzip, z, first).ok());
  const size_t capacity = d.buffer_capacity();
  for (int i = 0; i < 3; ++i) {
    std::string_view out;
    ASSERT_TRUE(d.decode(ContentEncoding::gzip, z, out).ok());
    EXPECT_EQ(out.data(), first.data());
    EXPECT_EQ(out, testing::kBigJson);
  }
  EXPECT_EQ(d.buffer_capacity(), capacity);
  d.release_memory();
  EXPECT_EQ(d.buffer_capacity(), 0u);
}

TEST(BodyDecoding, TrimFreesOnlyABufferPastTheKeptSize) {
  BodyDecoder d({.decoded_bytes_max = 4 << 20, .buffer_bytes_kept_max = 64 << 10});
  std::string_view out;
  ASSERT_TRUE(d.decode(ContentEncoding::gzip, gzip(std::string(1000, 'a')), out).ok());
  const size_t small = d.buffer_capacity();
  ASSERT_GT(small, 0u);
  ASSERT_LE(small, 64u << 10);
  d.trim_memory();
  EXPECT_EQ(d.buffer_capacity(), small);  // kept for reuse
  ASSERT_TRUE(d.decode(ContentEncoding::gzip, gzip(std::string(3 << 20, 'b')), out).ok());
  EXPECT_EQ(out.size(), 3u << 20);
  EXPECT_GE(d.buffer_capacity(), 3u << 20);
  d.trim_memory();
  EXPECT_EQ(d.buffer_capacity(), 0u);  // one huge body does not stay allocated
  ASSERT_TRUE(d.decode(ContentEncoding::gzip, gzip("again"), out).ok());
  EXPECT_EQ(out, "again");
}

TEST(BodyDecoding, ErrorThenSuccess) {
  BodyDecoder d({});
  std::string_view out;
  EXPECT_EQ(d.decode(ContentEncoding::gzip, "junk", out).status, 400);
  const std::string z = gzip("after an error");
  ASSERT_TRUE(d.decode(ContentEncoding::gzip, z, out).ok());
  EXPECT_EQ(out, "after an error");
}

TEST(ContentEncodingField, Parsing) {
  struct Case {
    const char* value;
    uint16_t status;
    ContentEncoding encoding;
  };
  const Case cases[] = {
      {"", 0, ContentEncoding::identity},           {"identity", 0, ContentEncoding::identity},
      {"gzip", 0, ContentEncoding::gzip},           {" GZIP ", 0, ContentEncoding::gzip},
      {"x-gzip", 0, ContentEncoding::gzip},         {"deflate", 0, ContentEncoding::deflate},
      {"Deflate", 0, ContentEncoding::deflate},     {"br", 415, ContentEncoding::identity},
      {"zstd", 415, ContentEncoding::identity},     {"gzip, gzip", 415, ContentEncoding::identity},
      {"compress", 415, ContentEncoding::identity},
  };
  for (const Case& c : cases) {
    ContentEncoding e = ContentEncoding::identity;
    const HttpError error = parse_content_encoding(c.value, e);
    EXPECT_EQ(error.status, c.status) << c.value;
    if (error.ok()) {
      EXPECT_EQ(e, c.encoding) << c.value;
    } else {
      EXPECT_EQ(error.message, "unsupported Content-Encoding (use gzip, deflate or identity)");
    }
  }
  EXPECT_EQ(content_encoding_name(ContentEncoding::gzip), "gzip");
}

}  // namespace
}  // namespace sluice::http
