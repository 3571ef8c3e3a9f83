#include "protocols/http/request_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tests/protocols/http/captured_requests.h"

namespace sluice::http {

std::ostream& operator<<(std::ostream& os, RequestReader::Event e) {
  switch (e) {
    case RequestReader::Event::need_more: return os << "need_more";
    case RequestReader::Event::head: return os << "head";
    case RequestReader::Event::request: return os << "request";
    case RequestReader::Event::error: return os << "error";
  }
  return os << "?";
}

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Event = RequestReader::Event;
using testing::kCurlChunked;
using testing::kCurlJson;
using testing::kWrkPost;

struct Seen {
  std::string method;
  std::string target;
  std::string path;
  int version = 0;
  bool keep_alive = false;
  bool expect_continue = false;
  bool chunked = false;
  std::optional<uint64_t> content_length;
  std::string content_type;
  std::string content_encoding;
  std::string body;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.method << ' ' << s.target << " v" << s.version << " ka=" << s.keep_alive << " ct=" << s.content_type
            << " body=" << s.body.size() << ":" << s.body;
}

// Drives a reader as a connection does. Every chunk is copied to its own heap buffer that is
// freed after feed() returns, so the sanitizers catch a reader that keeps a view of it.
struct Driver {
  explicit Driver(RequestReader::options opts = {}) : reader(opts) {}

  // Feeds one chunk and handles everything it produces. Returns the last event.
  Event feed(std::string_view chunk) {
    Event e;
    {
      const std::string copy(chunk);
      e = reader.feed(copy);
    }
    return drain(e);
  }

  Event drain(Event e) {
    for (int rounds = 0; rounds < 10000; ++rounds) {
      switch (e) {
        case Event::need_more: return e;
        case Event::error: error = reader.error(); return e;
        case Event::head: {
          ++heads;
          const RequestHead& h = reader.head();
          if (h.expect_continue) ++continues;
          break;
        }
        case Event::request: {
          const RequestHead& h = reader.head();
          Seen s{std::string(h.method_text),
                 std::string(h.target),
                 std::string(h.path),
                 h.version,
                 h.keep_alive,
                 h.expect_continue,
                 h.chunked,
                 h.content_length,
                 std::string(h.content_type),
                 std::string(h.content_encoding),
                 std::string(reader.body())};
          // The padding after the body is readable.
          const std::string_view body = reader.body();
          volatile char last_pad = body.data()[body.size() + kBodyPaddingBytes - 1];
          (void)last_pad;
          requests.push_back(std::move(s));
          break;
        }
      }
      e = reader.resume();
    }
    ADD_FAILURE() << "reader never asked for more";
    return e;
  }

  Event feed_all(const std::vector<std::string_view>& chunks) {
    Event e = Event::need_more;
    for (auto c : chunks) {
      e = feed(c);
      if (e == Event::error) return e;
    }
    return e;
  }

  RequestReader reader;
  std::vector<Seen> requests;
  int heads = 0;
  int continues = 0;
  HttpError error;
};

const std::string kCurlJsonBody = R"([{"headers": {"host": "web-01", "app": "checkout"}, "body": "hello \"world\""}])";

Seen curl_json_seen() {
  return Seen{"POST", "/", "/", 11, true, false, false, 79, "application/json", "", kCurlJsonBody};
}
Seen curl_chunked_seen() {
  return Seen{"POST", "/", "/", 11, true, false, true, std::nullopt, "application/json", "", kCurlJsonBody};
}
Seen wrk_seen() {
  return Seen{"POST",
              "/",
              "/",
              11,
              true,
              false,
              false,
              46,
              "application/json",
              "",
              R"([{"headers":{"host":"web-01"},"body":"hello"}])"};
}

// ---- real clients ----

TEST(RequestReader, CurlJson) {
  Driver d;
  EXPECT_EQ(d.feed(kCurlJson), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0], curl_json_seen());
  EXPECT_EQ(d.heads, 1);
  EXPECT_TRUE(d.reader.idle());
  EXPECT_EQ(d.reader.buffered_bytes(), 0u);
}

TEST(RequestReader, CurlChunked) {
  Driver d;
  EXPECT_EQ(d.feed(kCurlChunked), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0], curl_chunked_seen());
}

TEST(RequestReader, CurlGzipHead) {
  Driver d;
  EXPECT_EQ(d.feed(testing::kCurlGzip), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].content_encoding, "gzip");
  EXPECT_EQ(d.requests[0].body.size(), 205u);
  EXPECT_EQ(d.requests[0].body.substr(0, 2), "\x1f\x8b");
}

TEST(RequestReader, HeadFieldsByName) {
  RequestReader reader({});
  ASSERT_EQ(reader.feed(kCurlJson), Event::head);
  const RequestHead& h = reader.head();
  EXPECT_EQ(h.method, Method::post);
  EXPECT_EQ(h.field("user-agent"), "curl/7.88.1");
  EXPECT_EQ(h.field("HOST"), "127.0.0.1:18931");
  EXPECT_EQ(h.field("x-missing"), std::nullopt);
  ASSERT_EQ(h.fields().size(), 5u);
  EXPECT_EQ(h.fields()[0].name, "Host");
  EXPECT_EQ(h.fields()[4].name, "Content-Length");
  EXPECT_EQ(h.fields()[4].value, "79");
}

TEST(RequestReader, WrkBackToBack) {
  Driver d;
  const std::string three = std::string(kWrkPost) + std::string(kWrkPost) + std::string(kWrkPost);
  EXPECT_EQ(d.feed(three), Event::need_more);
  EXPECT_EQ(d.requests, (std::vector<Seen>{wrk_seen(), wrk_seen(), wrk_seen()}));
}

// ---- pipelining and splits ----

const std::string kPipelined = std::string(kWrkPost) + std::string(kCurlChunked) + std::string(kCurlJson);
const std::vector<Seen> kPipelinedSeen = {wrk_seen(), curl_chunked_seen(), curl_json_seen()};

TEST(RequestReader, PipelinedInOneChunk) {
  Driver d;
  EXPECT_EQ(d.feed(kPipelined), Event::need_more);
  EXPECT_EQ(d.requests, kPipelinedSeen);
  EXPECT_TRUE(d.reader.idle());
}

TEST(RequestReader, EverySplitPosition) {
  for (size_t i = 0; i <= kPipelined.size(); ++i) {
    Driver d;
    const std::string_view all = kPipelined;
    EXPECT_NE(d.feed_all({all.substr(0, i), all.substr(i)}), Event::error) << "split at " << i;
    EXPECT_EQ(d.requests, kPipelinedSeen) << "split at " << i;
    EXPECT_TRUE(d.reader.idle()) << "split at " << i;
  }
}

TEST(RequestReader, EveryPairOfSplitPositions) {
  const std::string_view all = kPipelined;
  for (size_t i = 0; i <= all.size(); i += 3) {
    for (size_t j = i; j <= all.size(); j += 5) {
      Driver d;
      d.feed_all({all.substr(0, i), all.substr(i, j - i), all.substr(j)});
      ASSERT_EQ(d.requests, kPipelinedSeen) << "splits at " << i << ", " << j;
    }
  }
}

TEST(RequestReader, ByteByByte) {
  Driver d;
  for (char c : kPipelined) ASSERT_NE(d.feed(std::string_view(&c, 1)), Event::error);
  EXPECT_EQ(d.requests, kPipelinedSeen);
}

TEST(RequestReader, RandomChunks) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Driver d;
    std::string_view rest = kPipelined;
    while (!rest.empty()) {
      const size_t n = std::min<size_t>(rest.size(), rng() % 40 + 1);
      ASSERT_NE(d.feed(rest.substr(0, n)), Event::error);
      rest.remove_prefix(n);
    }
    ASSERT_EQ(d.requests, kPipelinedSeen);
  }
}

TEST(RequestReader, BodyBufferReusedAcrossRequests) {
  RequestReader reader({});
  const std::string two = std::string(kCurlJson) + std::string(kCurlJson);
  ASSERT_EQ(reader.feed(two), Event::head);
  ASSERT_EQ(reader.resume(), Event::request);
  const char* first = reader.body().data();
  const size_t capacity = reader.body_capacity();
  ASSERT_EQ(reader.resume(), Event::head);
  ASSERT_EQ(reader.resume(), Event::request);
  EXPECT_EQ(reader.body().data(), first);
  EXPECT_EQ(reader.body_capacity(), capacity);
  EXPECT_EQ(reader.body(), kCurlJsonBody);
  EXPECT_EQ(reader.resume(), Event::need_more);
}

TEST(RequestReader, EmptyLinesBetweenRequestsIgnored) {
  Driver d;
  const std::string s = "\r\n"s + std::string(kWrkPost) + "\r\n\r\n" + std::string(kWrkPost);
  EXPECT_EQ(d.feed(s), Event::need_more);
  EXPECT_EQ(d.requests.size(), 2u);
}

TEST(RequestReader, RequestWithoutBody) {
  Driver d;
  EXPECT_EQ(d.feed("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].method, "GET");
  EXPECT_EQ(d.requests[0].target, "/metrics?x=1");
  EXPECT_EQ(d.requests[0].path, "/metrics");
  EXPECT_EQ(d.requests[0].body, "");
  EXPECT_EQ(d.requests[0].content_length, std::nullopt);
}

TEST(RequestReader, UnknownMethodIsReportedNotRefused) {
  RequestReader reader({});
  ASSERT_EQ(reader.feed("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), Event::head);
  EXPECT_EQ(reader.head().method, Method::other);
  EXPECT_EQ(reader.head().method_text, "BREW");
}

// ---- chunked bodies ----

TEST(RequestReader, ChunkExtensionsAndTrailers) {
  Driver d;
  const std::string s =
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6;a;b=\"q d\"\r\n world\r\n"
      "0\r\nX-Trailer: yes\r\nContent-Type: application/json\r\n\r\n";
  EXPECT_EQ(d.feed(s), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].body, "hello world");
  EXPECT_TRUE(d.requests[0].chunked);
  EXPECT_EQ(d.requests[0].content_type, "text/plain");  // trailers do not override the head
}

TEST(RequestReader, ChunkedSplitEverywhere) {
  const std::string s =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
  for (size_t i = 0; i <= s.size(); ++i) {
    Driver d;
    d.feed_all({std::string_view(s).substr(0, i), std::string_view(s).substr(i)});
    ASSERT_EQ(d.requests.size(), 1u) << i;
    EXPECT_EQ(d.requests[0].body, "abc0123456789abcdef") << i;
  }
}

TEST(RequestReader, TransferEncodingChunkedIsCaseInsensitive) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].body, "a");
}

TEST(RequestReader, MalformedChunks) {
  for (const char* bad : {"zz\r\nab\r\n0\r\n\r\n", "2\r\nabc\r\n0\r\n\r\n", "2;=x\r\nab\r\n0\r\n\r\n"}) {
    Driver d;
    EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"s + bad), Event::error) << bad;
    EXPECT_EQ(d.error.status, 400) << bad;
  }
}

TEST(RequestReader, ChunkLineTooLong) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=" + std::string(5000, 'a')), Event::error);
  EXPECT_EQ(d.error.status, 400);
  EXPECT_EQ(d.error.message, "chunk size line or trailer too long");
}

TEST(RequestReader, UnsupportedTransferEncoding) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), Event::error);
  EXPECT_EQ(d.error.status, 501);
  Driver d2;
  EXPECT_EQ(d2.feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc"), Event::error);
  EXPECT_EQ(d2.error.status, 501);
}

TEST(RequestReader, ContentLengthWithChunked) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), Event::error);
  EXPECT_EQ(d.error.status, 400);
}

// ---- limits ----

TEST(RequestReader, BodyAtTheLimit) {
  Driver d({.header_bytes_max = 1024, .body_bytes_max = 10});
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].body, "0123456789");
}

TEST(RequestReader, TooLargeByContentLength) {
  RequestReader reader({.header_bytes_max = 1024, .body_bytes_max = 10});
  // Reported as soon as the header is complete, before any body byte.
  EXPECT_EQ(reader.feed("POST /in HTTP/1.1\r\nContent-Length: 11\r\n\r\n"), Event::error);
  EXPECT_EQ(reader.error().status, 413);
  EXPECT_EQ(reader.error().message, "request body too large");
  EXPECT_EQ(reader.head().path, "/in");  // the head is still there for the log
  EXPECT_EQ(reader.head().content_length, 11u);
  EXPECT_EQ(reader.body_capacity(), 0u);
  // Dead from now on.
  EXPECT_EQ(reader.feed("x"), Event::error);
  EXPECT_EQ(reader.resume(), Event::error);
  EXPECT_EQ(reader.error().status, 413);
}

TEST(RequestReader, HugeContentLength) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), Event::error);
  EXPECT_EQ(d.error.status, 400);  // not a number Beast can hold
  Driver d2;
  EXPECT_EQ(d2.feed("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n"), Event::error);
  EXPECT_EQ(d2.error.status, 413);
}

TEST(RequestReader, TooLargeByChunkedGrowth) {
  Driver d({.header_bytes_max = 1024, .body_bytes_max = 10});
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(d.feed(head + "6\r\nabcdef\r\n4\r\nghij\r\n"), Event::need_more);  // exactly 10 so far
  EXPECT_EQ(d.feed("1\r\n"), Event::error);                                    // one more is too much
  EXPECT_EQ(d.error.status, 413);
  EXPECT_LE(d.reader.body_capacity(), 10u);  // never buffered past the limit
}

TEST(RequestReader, OneHugeChunkRefusedBeforeItsData) {
  Driver d({.header_bytes_max = 1024, .body_bytes_max = 1 << 20});
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n"), Event::error);
  EXPECT_EQ(d.error.status, 413);
  EXPECT_EQ(d.reader.body_capacity(), 0u);
}

TEST(RequestReader, HeaderTooLarge) {
  Driver d({.header_bytes_max = 256, .body_bytes_max = 1024});
  std::string s = "POST / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n";
  EXPECT_EQ(d.feed(s), Event::error);
  EXPECT_EQ(d.error.status, 431);
  EXPECT_EQ(d.error.message, "request header too large");
}

TEST(RequestReader, HeaderTooLargeArrivingSlowly) {
  Driver d({.header_bytes_max = 256, .body_bytes_max = 1024});
  EXPECT_EQ(d.feed("POST / HTTP/1.1\r\n"), Event::need_more);
  Event e = Event::need_more;
  for (int i = 0; i < 100 && e == Event::need_more; ++i) e = d.feed("X-A: bbbbbbbb\r\n");
  EXPECT_EQ(e, Event::error);
  EXPECT_EQ(d.error.status, 431);
  EXPECT_LE(d.reader.buffered_bytes(), 256u);
}

TEST(RequestReader, HeaderJustUnderTheLimit) {
  const std::string s = "POST / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  Driver d({.header_bytes_max = s.size() + 1, .body_bytes_max = 1024});
  EXPECT_EQ(d.feed(s), Event::need_more);
  EXPECT_EQ(d.requests.size(), 1u);
}

// ---- Expect: 100-continue ----

TEST(RequestReader, ExpectContinueReportedAtHead) {
  RequestReader reader({});
  ASSERT_EQ(reader.feed(testing::kCurlExpectHead), Event::head);
  EXPECT_TRUE(reader.head().expect_continue);
  EXPECT_EQ(reader.head().content_length, 1488000u);
  EXPECT_EQ(reader.resume(), Event::need_more);  // the client waits for 100 Continue
  EXPECT_EQ(reader.feed(std::string(1488000 - 1, 'x')), Event::need_more);
  EXPECT_EQ(reader.feed("x"), Event::request);
  EXPECT_EQ(reader.body().size(), 1488000u);
}

TEST(RequestReader, ExpectContinueWithTooLargeBodyIsFinalAnswer) {
  RequestReader reader({.header_bytes_max = 16384, .body_bytes_max = 1 << 20});
  EXPECT_EQ(reader.feed(testing::kCurlExpectHead), Event::error);
  EXPECT_EQ(reader.error().status, 413);
  EXPECT_TRUE(reader.head().expect_continue);
}

TEST(RequestReader, ExpectContinueIgnoredForHttp10) {
  RequestReader reader({});
  ASSERT_EQ(reader.feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"), Event::head);
  EXPECT_FALSE(reader.head().expect_continue);
}

// ---- connection semantics ----

TEST(RequestReader, KeepAliveRules) {
  struct Case {
    const char* head;
    bool keep_alive;
  };
  for (const Case& c :
       {Case{"POST / HTTP/1.1\r\n\r\n", true}, Case{"POST / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        Case{"POST / HTTP/1.1\r\nConnection: Close\r\n\r\n", false}, Case{"POST / HTTP/1.0\r\n\r\n", false},
        Case{"POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        Case{"POST / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true}}) {
    Driver d;
    EXPECT_EQ(d.feed(c.head), Event::need_more);
    ASSERT_EQ(d.requests.size(), 1u) << c.head;
    EXPECT_EQ(d.requests[0].keep_alive, c.keep_alive) << c.head;
  }
}

TEST(RequestReader, Http10Version) {
  Driver d;
  EXPECT_EQ(d.feed("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nok"), Event::need_more);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].version, 10);
  EXPECT_EQ(d.requests[0].body, "ok");
}

TEST(RequestReader, FinishWhenIdleIsClean) {
  Driver d;
  EXPECT_EQ(d.feed(kCurlJson), Event::need_more);
  EXPECT_EQ(d.reader.finish(), Event::need_more);
}

TEST(RequestReader, FinishInTheMiddleOfARequest) {
  for (size_t cut : {size_t{1}, size_t{20}, kCurlJson.size() - 1}) {
    Driver d;
    EXPECT_EQ(d.feed(kCurlJson.substr(0, cut)), Event::need_more);
    EXPECT_FALSE(d.reader.idle());
    EXPECT_EQ(d.reader.finish(), Event::error) << cut;
    EXPECT_EQ(d.reader.error().status, 400);
    EXPECT_EQ(d.reader.error().message, "connection closed in the middle of a request");
  }
}

// ---- malformed requests ----

TEST(RequestReader, MalformedRequests) {
  struct Case {
    std::string bytes;
    uint16_t status;
    std::string_view message;
  };
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", 400, "malformed request line: bad method"},
      {"POST /\r\n\r\n", 400, "malformed request line: bad target"},
      {"POST / HTTP/1.1 x\r\n\r\n", 400, "malformed request line: bad HTTP version"},
      {"PO ST / HTTP/1.1\r\n\r\n", 400, "malformed request line: bad HTTP version"},
      // Beast reads only HTTP/1.x versions; an HTTP/2 prior-knowledge preface is malformed.
      {"POST / HTTP/2.0\r\n\r\n", 400, "malformed request line: bad HTTP version"},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "malformed request line: bad HTTP version"},
      {"POST / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "malformed header field name"},
      {"POST / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "malformed header field name"},
      {"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "bad Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "conflicting Content-Length fields"},
      {"POST / HTTP/1.1\nHost: a\n\n", 400, "malformed request line: bad HTTP version"},  // bare LF
      {"POST / HTTP/1.1\r\nHost: a\n\n", 400, "malformed header field value"},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 400, "malformed request line: bad method"},  // TLS hello
  };
  for (const Case& c : cases) {
    Driver d;
    EXPECT_EQ(d.feed(c.bytes), Event::error) << c.bytes;
    EXPECT_EQ(d.error.status, c.status) << c.bytes;
    EXPECT_EQ(d.error.message, c.message) << c.bytes;
  }
}

TEST(RequestReader, ErrorAfterGoodRequestsInTheSameChunk) {
  Driver d;
  EXPECT_EQ(d.feed(std::string(kWrkPost) + "GARBAGE\r\n\r\n"), Event::error);
  EXPECT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.error.status, 400);
  EXPECT_EQ(d.reader.buffered_bytes(), 0u);
}

TEST(RequestReader, MovedInTheMiddleOfARequest) {
  RequestReader first({});
  ASSERT_EQ(first.feed("PUT /a HTTP/1.1\r\nX: 1\r\nContent-Length: 5\r\n\r\nab"), Event::head);
  RequestReader second(std::move(first));
  EXPECT_EQ(second.head().target, "/a");  // a short head: small-string storage moved
  EXPECT_EQ(second.head().field("x"), "1");
  EXPECT_EQ(second.resume(), Event::need_more);
  RequestReader third({});
  third = std::move(second);
  EXPECT_EQ(third.feed("cde"), Event::request);
  EXPECT_EQ(third.head().method, Method::put);
  EXPECT_EQ(third.body(), "abcde");
  EXPECT_EQ(third.resume(), Event::need_more);
}

TEST(RequestReader, ErrorInBufferedBytes) {
  Driver d;
  EXPECT_EQ(d.feed(std::string(kWrkPost) + "POST / HT"), Event::need_more);
  EXPECT_EQ(d.reader.buffered_bytes(), 9u);
  EXPECT_EQ(d.feed("XP/1.1\r\n\r\n"), Event::error);
  EXPECT_EQ(d.error.message, "malformed request line: bad HTTP version");
  EXPECT_EQ(d.reader.buffered_bytes(), 0u);
  EXPECT_FALSE(d.reader.idle());
  EXPECT_EQ(d.reader.finish(), Event::error);
}

TEST(RequestReader, ReleaseMemoryWhenIdle) {
  RequestReader reader({});
  ASSERT_EQ(reader.feed(kCurlJson), Event::head);
  ASSERT_EQ(reader.resume(), Event::request);
  EXPECT_GT(reader.body_capacity(), 0u);
  ASSERT_EQ(reader.resume(), Event::need_more);
  reader.release_memory();
  EXPECT_EQ(reader.body_capacity(), 0u);
  ASSERT_EQ(reader.feed(kCurlJson), Event::head);
  ASSERT_EQ(reader.resume(), Event::request);
  EXPECT_EQ(reader.body(), kCurlJsonBody);
}

}  // namespace
}  // namespace sluice::http

namespace sluice::http {
namespace {

std::string post_with_body(size_t n) {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + std::string(n, 'x');
}

TEST(RequestReaderMemory, LargeBodyFreedAfterItsRequestSmallOneKept) {
  RequestReader reader({.body_bytes_max = 4 << 20, .body_bytes_kept_max = 64 << 10});
  ASSERT_EQ(reader.feed(post_with_body(1000)), RequestReader::Event::head);
  ASSERT_EQ(reader.resume(), RequestReader::Event::request);
  const size_t small = reader.body_capacity();
  ASSERT_GE(small, 1000u);
  ASSERT_EQ(reader.resume(), RequestReader::Event::need_more);
  EXPECT_EQ(reader.body_capacity(), small);  // kept for reuse
  // A 3 MiB body on the same (keep-alive) reader, in pieces as a socket delivers it.
  const std::string big = post_with_body(3 << 20);
  RequestReader::Event e = reader.feed(std::string_view(big).substr(0, 100));
  ASSERT_EQ(e, RequestReader::Event::head);
  EXPECT_TRUE(reader.reading_body());
  EXPECT_EQ(reader.body_capacity(), small);  // nothing allocated for the body at its head
  ASSERT_EQ(reader.resume(), RequestReader::Event::need_more);
  EXPECT_GE(reader.body_capacity(), 3u << 20);
  for (size_t at = 100; at < big.size(); at += 65536) {
    e = reader.feed(std::string_view(big).substr(at, 65536));
    if (e == RequestReader::Event::request) break;
    ASSERT_EQ(e, RequestReader::Event::need_more);
  }
  ASSERT_EQ(e, RequestReader::Event::request);
  EXPECT_EQ(reader.body().size(), 3u << 20);
  reader.trim_memory();  // the connection is done with the body: give it back now
  EXPECT_EQ(reader.body_capacity(), 0u);
  ASSERT_EQ(reader.resume(), RequestReader::Event::need_more);
  EXPECT_TRUE(reader.idle());
  EXPECT_LE(reader.memory_bytes(), 64u << 10);
  // And without trim_memory(): resume() after the request frees it.
  const std::string big2 = post_with_body(1 << 20);
  ASSERT_EQ(reader.feed(big2), RequestReader::Event::head);
  ASSERT_EQ(reader.resume(), RequestReader::Event::request);
  EXPECT_GE(reader.body_capacity(), 1u << 20);
  ASSERT_EQ(reader.resume(), RequestReader::Event::need_more);
  EXPECT_EQ(reader.body_capacity(), 0u);
  // Still works afterwards.
  ASSERT_EQ(reader.feed(post_with_body(10)), RequestReader::Event::head);
  ASSERT_EQ(reader.resume(), RequestReader::Event::request);
  EXPECT_EQ(reader.body(), "xxxxxxxxxx");
}

TEST(RequestReaderMemory, PipelinedLargeBodiesEachFreed) {
  RequestReader reader({.body_bytes_max = 1 << 20, .body_bytes_kept_max = 64 << 10});
  const std::string two = post_with_body(200 << 10) + post_with_body(300 << 10);
  ASSERT_EQ(reader.feed(two), RequestReader::Event::head);
  ASSERT_EQ(reader.resume(), RequestReader::Event::request);
  EXPECT_EQ(reader.body().size(), 200u << 10);
  ASSERT_EQ(reader.resume(), RequestReader::Event::head);
  EXPECT_EQ(reader.body_capacity(), 0u);
  ASSERT_EQ(reader.resume(), RequestReader::Event::request);
  EXPECT_EQ(reader.body().size(), 300u << 10);
  ASSERT_EQ(reader.resume(), RequestReader::Event::need_more);
  EXPECT_EQ(reader.body_capacity(), 0u);
}

}  // namespace
}  // namespace sluice::http
