// Incremental HTTP/1.x request framing for one connection, on Boost.Beast's parser, fed from
// the connection's own receive buffers (no sockets, no asio).
//
// The connection feeds every received chunk and reacts to what the reader reports:
//
//   Event e = reader.feed(chunk);          // the chunk may be recycled as soon as feed returns
//   for (;;) {
//     if (e == Event::need_more) break;    // wait for the next chunk
//     if (e == Event::error) { answer reader.error(), close; break; }
//     if (e == Event::head) {              // headers complete, body not read yet
//       if (the head will be rejected: 404/405/415, see head())  { answer, close; break; }
//       if (reader.head().expect_continue) write "100 Continue" (response.h)
//     }
//     if (e == Event::request) { decode reader.body(), store, answer; }
//     e = reader.resume();                 // go on with bytes already received (pipelining)
//   }
//
// Every request yields `head` then `request` (or `error`). Bytes past the request being
// reported are kept here, so several pipelined requests in one chunk, and a request split at
// any byte, come out the same. The body is gathered into one buffer per reader that is reused
// for every request: once warmed up, reading a request allocates nothing. A buffer grown past
// body_bytes_kept_max by one large request is freed when that request is done (resume() after
// it, or trim_memory() earlier), so that a keep-alive connection does not hold its largest body
// for as long as it stays open. A Content-Length body is allocated at the resume() after its
// head, not before: the owner may refuse it at the head (a memory budget) without paying for it.
//
// Limits: a header larger than header_bytes_max -> 431; a body larger than body_bytes_max ->
// 413, known from Content-Length before any body byte is stored, and for a chunked body as
// soon as a chunk would cross the limit (never buffered past it). Malformed input -> 400,
// Transfer-Encoding other than chunked -> 501 (HTTP versions other than 1.x are malformed).
// After an error the reader is dead: every call reports the same error.
//
// Threads: one RequestReader per connection, used only by the shard thread that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http/http_error.h"
#include "protocols/http/padded_buffer.h"

namespace sluice::http {

enum class Method : uint8_t { get, head, post, put, delete_, options, patch, other };

std::string_view method_name(Method method);

// A request's line and header, as far as the source needs it. The views point into the
// reader and stay valid until the resume() after the request (or until the reader dies).
struct RequestHead {
  Method method = Method::other;
  std::string_view method_text;            // as received ("POST")
  std::string_view target;                 // as received ("/path?query")
  std::string_view path;                   // target up to '?'
  uint8_t version = 11;                    // 10 or 11
  std::optional<uint64_t> content_length;  // absent for chunked bodies and bodiless requests
  bool chunked = false;
  // "Expect: 100-continue" from an HTTP/1.1 client: it waits for "100 Continue" (or a final
  // answer) before it sends the body.
  bool expect_continue = false;
  // False when the connection must close after this request: "Connection: close", or
  // HTTP/1.0 without "Connection: keep-alive".
  bool keep_alive = true;
  // Values of these fields (first occurrence, surrounding blanks trimmed), empty when absent.
  std::string_view content_type;
  std::string_view content_encoding;

  // Any header field by name (case-insensitive; first occurrence), nullopt when absent.
  std::optional<std::string_view> field(std::string_view name) const;
  struct Field {
    std::string_view name;
    std::string_view value;
  };
  std::span<const Field> fields() const { return fields_; }

 private:
  friend class RequestReader;
  std::span<const Field> fields_;
};

class RequestReader {
 public:
  struct options {
    // The request line and header fields together, CRLFs included.
    size_t header_bytes_max = 16 * 1024;
    // The body as sent (before any Content-Encoding is undone).
    size_t body_bytes_max = 16 * 1024 * 1024;
    // The body buffer kept between requests for reuse; a larger one is freed after its request.
    size_t body_bytes_kept_max = 64 * 1024;
  };

  enum class Event : uint8_t {
    need_more,  // every byte so far is used or kept; feed() the next chunk
    head,       // head() is complete; the body (if any) is not read yet; then resume()
    request,    // head() and body() are complete; then resume()
    error,      // error() says what to answer; the reader is dead
  };

  explicit RequestReader(options opts);
  ~RequestReader();
  // Movable at any point (a connection table that grows); a moved-from reader may only be
  // destroyed or assigned to.
  RequestReader(RequestReader&&) noexcept;
  RequestReader& operator=(RequestReader&&) noexcept;

  // The next received bytes. Only after need_more (or on a fresh reader): a chunk fed while a
  // head or request is being reported is a programmer error. The chunk is not referenced
  // after the call returns.
  Event feed(std::string_view chunk);
  // Goes on after head (reads the body) or after request (starts the next request from bytes
  // already received). The views of the finished request die here.
  Event resume();
  // The peer closed its side. need_more when no request was begun (a clean close); error
  // (400, "connection closed in the middle of a request") otherwise.
  Event finish();

  // After head or request.
  const RequestHead& head() const;
  // After request: the body as sent, with kBodyPaddingBytes readable bytes after it.
  std::string_view body() const;
  // After error.
  const HttpError& error() const { return error_; }

  // True between requests with nothing of the next one received (for idle timeouts and a
  // graceful close).
  bool idle() const;
  // Received bytes kept for later (a partial header, pipelined requests).
  size_t buffered_bytes() const { return pending_.size() - pending_at_; }
  // Memory held by the body buffer; release_memory() frees it when idle (after a huge body).
  size_t body_capacity() const { return body_.capacity(); }
  void release_memory();
  // Frees the body buffer if it grew past body_bytes_kept_max, and the buffer of kept bytes if
  // it is empty and as large. Allowed after request (body() is dead then, until the next one),
  // between requests and after error; resume() after a request does it anyway.
  void trim_memory();
  // Memory held now by this reader's buffers (body, kept bytes, head text), for a gauge.
  size_t memory_bytes() const { return body_.capacity() + pending_.capacity() + head_text_.capacity(); }
  // Between head and the end of its request's body (the body buffer is for this request).
  bool reading_body() const { return state_ == State::head_ready || state_ == State::reading_body; }

  const options& limits() const { return options_; }

 private:
  class Parser;
  enum class State : uint8_t { reading_head, reading_body, head_ready, request_ready, failed };

  // Parses from the pending bytes until something is to be reported.
  Event run();
  Event parse(std::string_view data, size_t& used);
  Event fail(HttpError error);
  void start_request();
  // Parser callbacks.
  void on_request_line(Method method, std::string_view method_text, std::string_view target, int version);
  void on_field(std::string_view name, std::string_view value);
  void on_header_complete(std::optional<uint64_t> content_length, bool chunked, bool keep_alive);
  // (Re)makes head_'s views and fields_ from head_text_ and field_offsets_.
  void build_head_views();
  bool on_chunk(uint64_t size);
  void on_body(std::string_view bytes);

  options options_;
  State state_ = State::reading_head;
  std::unique_ptr<Parser> parser_;
  // Received bytes not yet consumed by the parser: pending_[pending_at_, size). Consumed bytes
  // are skipped by offset (pipelined requests do not shift the rest each time) and dropped
  // when the next chunk is appended.
  std::string pending_;
  size_t pending_at_ = 0;
  bool request_started_ = false;  // a byte of the current request has been parsed
  bool head_complete_ = false;
  // The head's text: method, target, then name/value pairs, referenced by offsets while it
  // is being filled (it may grow) and by views once the header is complete.
  std::string head_text_;
  struct FieldOffsets {
    uint32_t name_at, name_len, value_at, value_len;
  };
  std::vector<FieldOffsets> field_offsets_;
  std::vector<RequestHead::Field> fields_;
  RequestHead head_;
  PaddedBuffer body_;
  HttpError error_;
  // An error found in a callback, reported instead of Beast's code.
  HttpError callback_error_;
};

}  // namespace sluice::http
