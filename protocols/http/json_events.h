// Internal to sluice_http: the Flume JSON event parsers behind EventDecoder. Both read the
// same shapes into an EventBuilder and report the same errors; Boost.JSON is the production path
// and simdjson stays as the tests' oracle (see event_decoders.cc).
//
// Threads: each object is used by one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "protocols/http/event_builder.h"
#include "protocols/http/http_error.h"

namespace sluice::http::detail {

class SimdjsonEvents {
 public:
  explicit SimdjsonEvents(size_t body_bytes_max);
  ~SimdjsonEvents();
  // A Flume JSONHandler body: an array of event objects, or one event object. `json` has
  // kBodyPaddingBytes readable bytes after it.
  HttpError decode_document(std::string_view json, EventBuilder& out);
  // One NDJSON line: one event object (not blank). Padded likewise (the rest of the body and
  // the body's padding follow it).
  HttpError decode_line(std::string_view json, EventBuilder& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class BoostJsonEvents {
 public:
  explicit BoostJsonEvents(size_t body_bytes_max);
  ~BoostJsonEvents();
  HttpError decode_document(std::string_view json, EventBuilder& out);
  HttpError decode_line(std::string_view json, EventBuilder& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers both parsers share.

// True when `text` is a complete JSON number (RFC 8259 grammar).
bool is_json_number(std::string_view text);

// Reads the JSON string whose opening quote precedes `p` (the text was checked by the parser
// for structure, UTF-8 and raw control characters, and is followed by readable padding).
// Strings without escapes are returned in place; others are unescaped into the builder's
// arena. Returns the position after the closing quote, or nullptr on an invalid escape or a
// lone surrogate (then `error_at` is where, and `error` says what).
const char* read_json_string(const char* p, EventBuilder& out, std::string_view& value, const char*& error_at,
                             std::string_view& error);

}  // namespace sluice::http::detail
