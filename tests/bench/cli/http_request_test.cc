#include "bench/cli/http_request.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace sluice::bench {
namespace {

HttpBatchOptions small() {
  HttpBatchOptions o;
  o.host = "127.0.0.1:8080";
  o.path = "/ingest";
  o.conn = 3;
  o.body_bytes = 25;
  o.events = 2;
  o.first_seq = 41;
  return o;
}

// Undoes gzip, checking the CRC-32 and length of the trailer (zlib fails the stream otherwise).
std::string gunzip(std::string_view data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
  std::string out(4 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END) << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// Checks a Flume JSON body: `events` events from `first_seq` on, of connection `conn`.
void expect_flume_json(std::string_view body, uint64_t first_seq, size_t events, uint32_t conn, size_t body_bytes) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  ASSERT_FALSE(ec) << ec.message();
  const boost::json::array& a = v.as_array();
  ASSERT_EQ(a.size(), events);
  for (size_t i = 0; i < events; ++i) {
    const boost::json::object& e = a[i].as_object();
    ASSERT_EQ(e.size(), 2u);
    const boost::json::object& headers = e.at("headers").as_object();
    EXPECT_EQ(headers.size(), 3u);
    EXPECT_EQ(headers.at("timestamp").as_string().size(), kTimestampDigits);
    EXPECT_EQ(std::stoull(std::string(headers.at("seq").as_string())), first_seq + i);
    EXPECT_EQ(std::stoul(std::string(headers.at("conn").as_string())), conn);
    const std::string b(e.at("body").as_string());
    EXPECT_EQ(b.size(), body_bytes);
    EXPECT_EQ(b.substr(0, 23), "conn=" + format_conn(conn) + " seq=" + format_seq(first_seq + i));
  }
}

TEST(HttpRequest, ExactBytesOfASmallJsonBatch) {
  auto r = HttpBatchRequest::build(small());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bytes(),
            "POST /ingest HTTP/1.1\r\n"
            "Host: 127.0.0.1:8080\r\n"
            "User-Agent: sluice-bench\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 219\r\n"
            "\r\n"
            R"([{"headers":{"seq":"0000000041","conn":"003","timestamp":"1000000000000"},)"
            R"("body":"conn=003 seq=0000000041 x"},)"
            R"({"headers":{"seq":"0000000042","conn":"003","timestamp":"1000000000000"},)"
            R"("body":"conn=003 seq=0000000042 x"}])");
  EXPECT_EQ(r->body().size(), 219u);
  EXPECT_EQ(r->events(), 2u);
  EXPECT_EQ(r->first_seq(), 41u);
}

TEST(HttpRequest, NdjsonAndTextLayouts) {
  HttpBatchOptions o = small();
  o.format = HttpFormat::ndjson;
  auto r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->head().find("Content-Type: application/x-ndjson\r\n"), std::string_view::npos);
  EXPECT_EQ(r->body(), R"({"headers":{"seq":"0000000041","conn":"003","timestamp":"1000000000000"},)"
                       R"("body":"conn=003 seq=0000000041 x"})"
                       "\n"
                       R"({"headers":{"seq":"0000000042","conn":"003","timestamp":"1000000000000"},)"
                       R"("body":"conn=003 seq=0000000042 x"})"
                       "\n");
  o.format = HttpFormat::text;
  o.body_bytes = 23;  // no padding at all
  r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->head().find("Content-Type: text/plain; charset=utf-8\r\nContent-Length: 48\r\n\r\n"),
            std::string_view::npos)
      << r->head();
  EXPECT_EQ(r->body(), "conn=003 seq=0000000041\nconn=003 seq=0000000042\n");
}

TEST(HttpRequest, ABigBatchIsValidFlumeJson) {
  HttpBatchOptions o = small();
  o.events = 500;
  o.body_bytes = 1000;
  o.first_seq = 0;
  auto r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok());
  expect_flume_json(r->body(), 0, 500, 3, 1000);
  // Every NDJSON line is one such event.
  o.format = HttpFormat::ndjson;
  r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok());
  std::string body(r->body());
  ASSERT_EQ(body.back(), '\n');
  body.pop_back();
  size_t lines = 0;
  for (size_t at = 0; at != std::string::npos; ++lines) {
    size_t nl = body.find('\n', at);
    std::string line = body.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    expect_flume_json("[" + line + "]", lines, 1, 3, 1000);
    at = nl == std::string::npos ? nl : nl + 1;
  }
  EXPECT_EQ(lines, 500u);
}

TEST(HttpRequest, MovingOnPatchesOnlyTheSequenceNumbers) {
  HttpBatchOptions o = small();
  o.events = 100;
  o.first_seq = 0;
  o.body_bytes = 200;
  auto r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok());
  const std::string head(r->head());
  ASSERT_TRUE(r->move_to(100));
  ASSERT_TRUE(r->move_to(9'999'999'900));  // carries across every digit
  EXPECT_EQ(r->first_seq(), 9'999'999'900u);
  EXPECT_EQ(r->head(), head);
  expect_flume_json(r->body(), 9'999'999'900, 100, 3, 200);
  // The same bytes as a request built there.
  o.first_seq = 9'999'999'900;
  EXPECT_EQ(r->bytes(), HttpBatchRequest::build(o)->bytes());
  // Never backwards, never past the last sequence number.
  EXPECT_FALSE(r->move_to(9'999'999'899));
  EXPECT_FALSE(r->move_to(9'999'999'901));
  EXPECT_EQ(r->first_seq(), 9'999'999'900u);
  ASSERT_TRUE(r->move_to(9'999'999'900));
}

TEST(HttpRequest, StampWritesTheSendTimeIntoEveryEventsTimestampHeader) {
  for (bool gzip : {false, true}) {
    HttpBatchOptions o = small();
    o.events = 50;
    o.gzip = gzip;
    auto r = HttpBatchRequest::build(o);
    ASSERT_TRUE(r.ok());
    r->stamp(1'795'237'800'123);
    ASSERT_TRUE(r->move_to(1000));
    const std::string body = gzip ? gunzip(r->body()) : std::string(r->body());
    boost::json::array events = boost::json::parse(body).as_array();
    ASSERT_EQ(events.size(), 50u);
    for (const auto& e : events) EXPECT_EQ(e.at("headers").at("timestamp").as_string(), "1795237800123") << gzip;
    // Exactly what a request built with that time holds.
    o.first_seq = 1000;
    o.timestamp_ms = 1'795'237'800'123;
    EXPECT_EQ(r->bytes(), HttpBatchRequest::build(o)->bytes()) << gzip;
  }
  HttpBatchOptions text = small();
  text.format = HttpFormat::text;
  auto r = HttpBatchRequest::build(text);
  const std::string before(r->bytes());
  r->stamp(1'795'237'800'123);
  EXPECT_EQ(r->bytes(), before) << "text lines have no headers";
}

TEST(HttpRequest, BodySizesComeFromTheTableFromTheRequestsPlaceInIt) {
  const std::vector<size_t> sizes = {23, 100, 250};
  HttpBatchOptions o = small();
  o.events = 5;
  o.body_sizes = sizes;
  o.size_index = 2;
  auto r = HttpBatchRequest::build(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  boost::json::array events = boost::json::parse(r->body()).as_array();
  ASSERT_EQ(events.size(), 5u);
  const size_t expected[] = {250, 23, 100, 250, 23};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(events[i].at("body").as_string().size(), expected[i]) << i;
  const std::vector<size_t> too_small = {23, 22};
  o.body_sizes = too_small;
  auto refused = HttpBatchRequest::build(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("body of 22 bytes"), std::string::npos) << refused.error().message;
}

TEST(HttpRequest, GzipBodiesStayValidAsTheyArePatched) {
  for (HttpFormat format : {HttpFormat::json, HttpFormat::ndjson, HttpFormat::text}) {
    HttpBatchOptions o = small();
    o.format = format;
    o.gzip = true;
    o.events = 300;
    o.body_bytes = 200;
    o.first_seq = 0;
    auto r = HttpBatchRequest::build(o);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->head().find("Content-Encoding: gzip\r\nContent-Length: " + std::to_string(r->body().size()) + "\r\n"),
              std::string_view::npos)
        << r->head();
    EXPECT_EQ(gunzip(r->body()), r->plain_body());
    HttpBatchOptions plain = o;
    plain.gzip = false;
    EXPECT_EQ(r->plain_body(), HttpBatchRequest::build(plain)->body());
    EXPECT_LT(r->body().size(), r->plain_body().size() / 2) << "the padding is compressed";
    for (uint64_t first : {300ull, 600ull, 1'234'567ull, 9'999'999'700ull}) {
      ASSERT_TRUE(r->move_to(first));
      plain.first_seq = first;
      ASSERT_EQ(gunzip(r->body()), HttpBatchRequest::build(plain)->body()) << http_format_name(format) << " " << first;
    }
  }
}

TEST(HttpRequest, BuildErrors) {
  HttpBatchOptions o = small();
  o.events = 0;
  EXPECT_FALSE(HttpBatchRequest::build(o).ok());
  o = small();
  o.body_bytes = 22;
  EXPECT_NE(HttpBatchRequest::build(o).error().message.find("22 bytes"), std::string::npos);
  o = small();
  o.first_seq = 9'999'999'999;
  EXPECT_FALSE(HttpBatchRequest::build(o).ok());
}

TEST(BatchEvents, BodyLayout) {
  std::string out = "prefix";
  EXPECT_EQ(append_event_body(out, 7, 123, 30), 13u);
  EXPECT_EQ(out, "prefixconn=007 seq=0000000123 xxxxxx");
  EXPECT_EQ(event_body_bytes_min(), 23u);
  out.clear();
  append_event_body(out, 0, 0, 24);
  EXPECT_EQ(out, "conn=000 seq=0000000000 ");
}

}  // namespace
}  // namespace sluice::bench
