// HTTP/1.1 responses of the HTTP source, serialized into a caller-owned buffer (appended to
// it, so that several pipelined answers can share one write). Flume's HTTP source answers 200
// with an empty body, and so does this; errors carry {"error":"..."}.
//
// Pure functions: any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::http {

// "OK", "Bad Request", ...; "Unknown" for a status not listed.
std::string_view reason_phrase(uint16_t status);

enum class ConnectionHeader : uint8_t {
  none,        // HTTP/1.1 keep-alive is the default: nothing to say
  close,       // "Connection: close": the server closes after this response
  keep_alive,  // "Connection: keep-alive": an HTTP/1.0 client asked to keep the connection
};

struct ResponseField {
  std::string_view name;
  std::string_view value;
};

struct Response {
  uint16_t status = 200;
  ConnectionHeader connection = ConnectionHeader::none;
  // Retry-After in seconds, written when non-zero (503 when the channel is full).
  uint32_t retry_after_s = 0;
  // Content-Type is written only with a body.
  std::string_view content_type = "application/json";
  std::string_view body;
  // Written as given, after the standard fields. Names and values must not contain CR or LF.
  std::span<const ResponseField> extra_fields;
};

// Appends the whole response (status line, fields, body) to `out`.
void write_response(const Response& response, std::string& out);

// Appends "HTTP/1.1 100 Continue\r\n\r\n".
void write_continue(std::string& out);

// Appends {"error":"<message>"} with the message escaped for JSON (quotes, backslashes and
// control characters; bytes of 0x80 and above are passed through, messages are UTF-8).
void write_error_body(std::string_view message, std::string& out);

// An error response: `status` with {"error":"<message>"}. `body_scratch` is where the body
// is built (kept by the caller so that its capacity is reused).
void write_error_response(uint16_t status, std::string_view message, ConnectionHeader connection,
                          uint32_t retry_after_s, std::string& body_scratch, std::string& out);

}  // namespace sluice::http
