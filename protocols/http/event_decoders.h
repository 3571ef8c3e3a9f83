// Request bodies to events: Flume's JSONHandler format, NDJSON and plain text lines, chosen by
// the request's Content-Type.
//
// Formats (the events are views; see EventDecoder::decode for how long they live):
// - flume_json (application/json; the default): [{"headers":{"k":"v"},"body":"text"}, ...] as
//   Flume's JSONHandler (Gson) reads it. A missing or null "headers" gives no headers; a
//   missing or null "body" an empty body. Kinder than Gson where that is safe: one top-level
//   object is one event, and number and boolean header values become their JSON text (Gson
//   does that too). Fields other than "headers" and "body" are ignored, as Gson ignores them;
//   a repeated "headers" or "body" field: the last one wins (Gson's behaviour). Refused (400,
//   with a message naming the event): text that is not JSON (syntax, truncation, trailing
//   bytes, invalid UTF-8, an invalid escape, a lone UTF-16 surrogate), a top level that is
//   not an array or object, an element that is not an object, "headers" that is not an
//   object, a header value that is an object, array or null, a "body" that is not a string
//   (Gson would turn a number into text; no Flume client sends one), a repeated header key in
//   one event (Gson refuses those too), and a number whose exponent overflows (a Boost.JSON
//   limit). Values of ignored fields are checked as strictly as the rest. An empty body is refused (Gson yields null
//   and Flume answers 500); [] is zero events. Gson's lenient extensions (comments, single quotes, unquoted names) are
//   not accepted.
// - ndjson (application/x-ndjson, application/ndjson, application/jsonl,
//   application/x-jsonlines): one event object per line, same shape; blank lines (spaces,
//   tabs, a CR) are skipped; messages name the line (from 1).
// - text (text/plain): one event per line, its text as the body; a trailing CR is dropped,
//   the last line needs no LF, empty lines are skipped (a trailing LF or a blank separator
//   line is not an event). No headers come from the body.
//
// Every event also gets the caller's extra headers (the source's configured ones), unless it
// has a header with the same key already.
//
// Limits: more than events_max events -> 413; more than headers_per_event_max headers in an
// event -> 413; a header key longer than ringbuf::kHeaderKeyBytesMax -> 400.
//
// JSON library: Boost.JSON; see event_decoders.cc for the measurement that chose it.
//
// Threads: an EventDecoder is used by one thread. Decoding is synchronous, so one decoder per
// shard can serve all its connections (its arena and tables grow to the largest body seen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "protocols/http/http_error.h"
#include "ringbuf/record.h"

namespace sluice::http {

enum class BodyFormat : uint8_t { flume_json, ndjson, text };

// The JSON parser behind flume_json and ndjson. Boost.JSON (its SAX parser) is the production
// path: it measured faster (numbers in event_decoders.cc). simdjson On-Demand is a second,
// independent reading of the same input that the tests compare it with on mutated inputs.
enum class JsonLibrary : uint8_t { boost_json, simdjson };

std::string_view body_format_name(BodyFormat format);

// The format for a Content-Type field value. Media types are matched case-insensitively and
// parameters other than charset are ignored. An empty value, or
// application/x-www-form-urlencoded (what `curl -d` sends when no type is given; Flume's HTTP
// source ignores the type), selects `default_format`. Unknown types -> 415.
//
// charset: UTF-8 (utf-8, utf8) and US-ASCII for every format; text also takes ISO-8859-1
// (latin1), whose bytes are stored unchanged. Flume also reads JSON in UTF-16 and UTF-32;
// those, and anything else, are 415 here.
HttpError select_body_format(std::string_view content_type, BodyFormat default_format, BodyFormat& out);

// One decoded event: views into the request body and the decoder.
struct DecodedEvent {
  std::span<const ringbuf::Header> headers;
  std::string_view body;
};

namespace detail {
class EventBuilder;
}

class EventDecoder {
 public:
  struct options {
    // Events one request may carry.
    size_t events_max = 100'000;
    // Headers one event may carry, the extra headers included (records store a u16 count).
    size_t headers_per_event_max = 1'000;
    // The largest body the JSON parser accepts (bodies past it: 413); the request limit.
    size_t body_bytes_max = 16 * 1024 * 1024;
    JsonLibrary json_library = JsonLibrary::boost_json;
  };

  explicit EventDecoder(options opts);
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  // Decodes `body`, which must have kBodyPaddingBytes readable bytes after it (as
  // RequestReader::body() and BodyDecoder give it). On success events() holds the events,
  // whose views point into `body`, into `extra_headers` (the caller keeps both alive) and
  // into this decoder, until the next decode(). On error events() is empty and the message
  // lives until the next decode().
  HttpError decode(BodyFormat format, std::string_view body, std::span<const ringbuf::Header> extra_headers = {});

  std::span<const DecodedEvent> events() const;
  const options& limits() const { return options_; }

 private:
  struct Backends;
  HttpError decode_json(std::string_view body);
  HttpError decode_ndjson(std::string_view body);
  HttpError decode_text(std::string_view body);
  static std::string_view trim_json_whitespace(std::string_view s);

  options options_;
  std::unique_ptr<detail::EventBuilder> builder_;
  std::unique_ptr<Backends> backends_;
};

}  // namespace sluice::http
