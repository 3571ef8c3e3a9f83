// Undoing a request's Content-Encoding (identity, gzip, deflate) into a bounded buffer.
//
// Output larger than decoded_bytes_max -> 413: inflation stops there, so a zip bomb never
// allocates more than the limit. A corrupt or truncated stream, or bytes after its end -> 400.
// An encoding other than identity, gzip (x-gzip) or deflate -> 415. gzip accepts several
// concatenated members (what `cat a.gz b.gz` and pigz produce), as gunzip does. deflate is the
// zlib format (RFC 9110 8.4.1.2); raw deflate without the zlib wrapper, which some clients
// send, is recognised by its missing zlib header and accepted too.
//
// Threads: one BodyDecoder per connection (or per shard: decoding is synchronous), used only
// by the thread that owns it. Its buffer and zlib state are reused: once warmed up, decoding
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "protocols/http/http_error.h"
#include "protocols/http/padded_buffer.h"

namespace sluice::http {

enum class ContentEncoding : uint8_t { identity, gzip, deflate };

std::string_view content_encoding_name(ContentEncoding encoding);

// Parses a Content-Encoding field value (case-insensitive; empty means identity). One coding
// only ("gzip, gzip" or any other list is 415).
HttpError parse_content_encoding(std::string_view value, ContentEncoding& out);

class BodyDecoder {
 public:
  struct options {
    // The largest body after decoding.
    size_t decoded_bytes_max = 16 * 1024 * 1024;
    // The output buffer kept for reuse; trim_memory() frees a larger one.
    size_t buffer_bytes_kept_max = 64 * 1024;
  };

  explicit BodyDecoder(options opts);
  ~BodyDecoder();
  BodyDecoder(BodyDecoder&&) noexcept;
  BodyDecoder& operator=(BodyDecoder&&) noexcept;

  // Decodes `body`. On success `out` is the decoded body with kBodyPaddingBytes readable bytes
  // after it: `body` itself for identity (which must then carry that padding, as
  // RequestReader::body() does), this decoder's buffer otherwise, valid until the next call.
  HttpError decode(ContentEncoding encoding, std::string_view body, std::string_view& out);

  size_t buffer_capacity() const { return out_.capacity(); }
  // Frees the output buffer (after an unusually large body).
  void release_memory() { out_.release(); }
  // Frees the output buffer if it grew past buffer_bytes_kept_max: after the decoded body is
  // done with (it invalidates the last decode()'s output), so that one huge inflated body does
  // not stay allocated for good.
  void trim_memory() {
    if (out_.capacity() > options_.buffer_bytes_kept_max) out_.release();
  }

 private:
  struct Zlib;
  HttpError inflate_body(ContentEncoding encoding, std::string_view body);

  options options_;
  PaddedBuffer out_;
  std::unique_ptr<Zlib> zlib_;  // created on first use
};

}  // namespace sluice::http
