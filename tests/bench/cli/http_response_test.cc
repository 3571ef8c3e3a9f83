#include "bench/cli/http_response.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace sluice::bench {
namespace {

using Status = HttpResponseReader::Status;

void feed(HttpResponseReader& reader, std::string_view bytes) {
  std::span<char> room = reader.prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  reader.commit(bytes.size());
}

// Every response in `stream`, fed `chunk` bytes at a time.
std::vector<std::string> read_all(std::string_view stream, size_t chunk, std::string* error = nullptr) {
  HttpResponseReader reader;
  std::vector<std::string> out;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    feed(reader, stream.substr(at, chunk));
    while (true) {
      Status s = reader.next();
      if (s == Status::need_more) break;
      if (s == Status::error) {
        if (error) *error = reader.error();
        return out;
      }
      const HttpResponse& r = reader.response();
      out.push_back(std::to_string(r.status) + " " + std::string(r.reason) + (r.close ? " close" : "") +
                    (r.retry_after_s ? " retry=" + std::to_string(*r.retry_after_s) : "") + " [" + std::string(r.body) +
                    "]");
    }
  }
  return out;
}

constexpr std::string_view kStream =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: application/json\r\n"
    "Content-Length: 28\r\n\r\n{\"error\":\"channel c1 full\"}\n"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n"
    "HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\ncontent-length: 1\r\n\r\nx"
    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    "HTTP/1.1 413 Payload Too Large\r\nConnection: keep-alive, Close\r\nContent-Length: 3\r\n\r\nbig";

const std::vector<std::string> kExpected = {
    "200 OK []",
    "503 Service Unavailable retry=2 [{\"error\":\"channel c1 full\"}\n]",
    "500 Internal Server Error [hello, world]",
    "204 No Content []",
    "503 Busy [x]",
    "200 OK close [ok]",
    "413 Payload Too Large close [big]",
};

TEST(HttpResponseReader, ReadsAStreamOfResponsesInAnyChunking) {
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{64}, kStream.size()})
    EXPECT_EQ(read_all(kStream, chunk), kExpected) << "chunks of " << chunk;
}

TEST(HttpResponseReader, RejectsWhatAKeepAliveClientCannotUse) {
  struct Case {
    std::string_view stream;
    std::string_view error;
  };
  for (const Case& c : {
           Case{"HTTP/1.1 200 OK\r\n\r\nbody until close", "without Content-Length"},
           Case{"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x response"},
           Case{"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "not an HTTP/1.x response"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "malformed Content-Length"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "malformed Content-Length"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"},
           Case{"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed response field"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", "no CRLF after its data"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", "above"},
       }) {
    std::string error;
    EXPECT_TRUE(read_all(c.stream, 3, &error).empty()) << c.stream;
    EXPECT_NE(error.find(c.error), std::string::npos) << c.stream << " -> " << error;
  }
  // A head that never ends is bounded.
  HttpResponseReader reader(HttpResponseLimits{.head_bytes_max = 100});
  feed(reader, "HTTP/1.1 200 OK\r\n" + std::string(200, 'x'));
  EXPECT_EQ(reader.next(), Status::error);
  EXPECT_NE(reader.error().find("head above 100 bytes"), std::string::npos);
  EXPECT_EQ(reader.next(), Status::error) << "an error sticks";
}

TEST(HttpResponseReader, ResetForgetsEverything) {
  HttpResponseReader reader;
  feed(reader, "HTTP/1.1 200 OK\r\nContent-Len");
  EXPECT_EQ(reader.next(), Status::need_more);
  EXPECT_GT(reader.pending(), 0u);
  reader.reset();
  EXPECT_EQ(reader.pending(), 0u);
  feed(reader, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(reader.next(), Status::response);
  EXPECT_EQ(reader.response().status, 201);
  EXPECT_EQ(reader.pending(), 0u);
}

TEST(HttpResponseReader, ReusesItsBuffer) {
  HttpResponseReader reader;
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  for (int i = 0; i < 10'000; ++i) {
    feed(reader, response);
    ASSERT_EQ(reader.next(), Status::response);
  }
  std::span<char> room = reader.prepare(16);
  EXPECT_LE(room.size(), size_t{64 * 1024}) << "the buffer did not grow with the stream";
}

}  // namespace
}  // namespace sluice::bench
