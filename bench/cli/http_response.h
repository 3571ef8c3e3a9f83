// Reading the HTTP/1.1 responses of a keep-alive connection: status, the fields a load client
// acts on (Content-Length, Transfer-Encoding: chunked, Connection, Retry-After) and the body.
// Interim (1xx) responses are skipped. A response without a length (read until close) is not
// something a keep-alive client can use, and is an error.
//
// Bytes are received straight into the reader's buffer (prepare() / commit()), which is reused:
// no allocation per response once it has grown to the largest response seen, which is bounded.
//
// Threads: one reader per connection, used by its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct HttpResponse {
  int status = 0;
  std::string_view reason;
  // Retry-After in delta-seconds; nullopt when absent or an HTTP-date.
  std::optional<uint64_t> retry_after_s;
  // The server closes the connection after this response (Connection: close, or HTTP/1.0
  // without keep-alive).
  bool close = false;
  std::string_view body;
};

struct HttpResponseLimits {
  size_t head_bytes_max = 64 * 1024;
  size_t body_bytes_max = 1 << 20;
};

class HttpResponseReader {
 public:
  explicit HttpResponseReader(HttpResponseLimits limits = {});

  // Room for at least `bytes` more received bytes; commit() how many arrived.
  std::span<char> prepare(size_t bytes);
  void commit(size_t bytes);

  enum class Status : uint8_t { need_more, response, error };
  // Parses the next complete response from what was received. For Status::response,
  // response() holds it, its views valid until the next prepare() or next(); for
  // Status::error, error() says what is wrong (the connection is unusable after it).
  Status next();
  const HttpResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

  // Bytes received and not yet parsed as part of a complete response.
  size_t pending() const { return end_ - begin_; }
  // Forgets everything (a new connection).
  void reset();

 private:
  Status fail(std::string message);
  // Parses the head at [begin_, begin_ + head_bytes); fills response_ and the body framing.
  bool parse_head(std::string_view head);
  // Chunked body starting at `at`: true with the de-chunked body in body_ and `end` set when
  // complete; false when more bytes are needed or on an error (error_ set).
  bool parse_chunked(size_t at, size_t& end);

  HttpResponseLimits limits_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // first unparsed byte
  size_t end_ = 0;    // one past the last received byte
  HttpResponse response_;
  std::optional<size_t> content_length_;
  bool chunked_ = false;
  std::string body_;  // a chunked body, de-chunked
  std::string error_;
};

}  // namespace sluice::bench
