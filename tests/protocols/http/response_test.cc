#include "protocols/http/response.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::http {
namespace {

TEST(Response, FlumeStyleOk) {
  std::string out;
  write_response({}, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(Response, AppendsForPipelinedAnswers) {
  std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
  write_response({}, out);
  Response closing;
  closing.connection = ConnectionHeader::close;
  write_response(closing, out);
  EXPECT_EQ(out,
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(Response, BodyTypeAndExtraFields) {
  std::string out;
  const ResponseField extra[] = {{"X-Events", "3"}, {"Date", "Sat, 21 Nov 2026 05:00:00 GMT"}};
  write_response({.status = 200, .body = "{\"accepted\":3}", .extra_fields = extra}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n"
            "X-Events: 3\r\nDate: Sat, 21 Nov 2026 05:00:00 GMT\r\n\r\n{\"accepted\":3}");
}

TEST(Response, KeepAliveForHttp10) {
  std::string out;
  Response r;
  r.connection = ConnectionHeader::keep_alive;
  write_response(r, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Response, ServiceUnavailableWithRetryAfter) {
  std::string out;
  std::string scratch;
  write_error_response(503, "channel c1 is full", ConnectionHeader::none, 2, scratch, out);
  EXPECT_EQ(out,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 30\r\n"
            "Retry-After: 2\r\n\r\n{\"error\":\"channel c1 is full\"}");
}

TEST(Response, ErrorBodyEscaping) {
  std::string body;
  write_error_body("event 0: header \"a\\b\": bad\n\x01\x1f\x7f caf\xC3\xA9", body);
  EXPECT_EQ(body, "{\"error\":\"event 0: header \\\"a\\\\b\\\": bad\\n\\u0001\\u001f\\u007f caf\xC3\xA9\"}");
}

TEST(Response, ErrorResponseClosing) {
  std::string out;
  std::string scratch;
  write_error_response(413, "request body too large", ConnectionHeader::close, 0, scratch, out);
  EXPECT_EQ(out,
            "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: 34\r\n"
            "Connection: close\r\n\r\n{\"error\":\"request body too large\"}");
}

TEST(Response, Continue) {
  std::string out;
  write_continue(out);
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(Response, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
  EXPECT_EQ(reason_phrase(415), "Unsupported Media Type");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(501), "Not Implemented");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

}  // namespace
}  // namespace sluice::http
