// The requests of `sluice-bench http`: one POST per batch of events, built once and then only
// patched. A request is a fixed template:
//
//   POST /path HTTP/1.1\r\n
//   Host: 127.0.0.1:8080\r\n
//   User-Agent: sluice-bench\r\n
//   Content-Type: application/json\r\n
//   [Content-Encoding: gzip\r\n]
//   Content-Length: 293\r\n
//   \r\n
//   [{"headers":{"seq":"0000000000","conn":"000","timestamp":"1795237800123"},
//     "body":"conn=000 seq=0000000000 xxxxx"},...]
//
// with a body in one of three formats (what sluice's HTTP source reads):
//   json    Flume's JSONHandler: a JSON array of {"headers":{...},"body":"..."}
//   ndjson  one such object per line, each line ending in \n (application/x-ndjson)
//   text    one body per line, no headers (text/plain; charset=utf-8)
// The sequence numbers and timestamps are fixed-width, so the length never changes and moving a
// request on to its next events, or stamping it with its send time, patches only digits (and,
// with gzip, the CRC-32 of the gzip trailer, once, when the bytes are next read: the digits sit
// in stored deflate blocks, see patchable_deflate.h).
//
// Threads: an HttpBatchRequest belongs to one connection thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bench/cli/batch_events.h"

namespace sluice::bench {

enum class HttpFormat : uint8_t { json, ndjson, text };

std::string_view http_format_name(HttpFormat format);
std::string_view http_content_type(HttpFormat format);

struct HttpBatchOptions {
  HttpFormat format = HttpFormat::json;
  bool gzip = false;
  std::string host = "127.0.0.1";  // the Host field: host[:port] as in the URL
  std::string path = "/";
  uint32_t conn = 0;
  size_t body_bytes = 200;  // each event's body, at least event_body_bytes_min()
  // When not empty: event i's body has body_sizes[(size_index + i) % size()] bytes (each at
  // least event_body_bytes_min()), and body_bytes is not used. Must outlive build() only.
  std::span<const size_t> body_sizes = {};
  size_t size_index = 0;
  uint32_t events = 100;                   // at least 1
  uint64_t first_seq = 0;                  // events first_seq .. first_seq + events - 1
  int64_t timestamp_ms = kTimestampMsMin;  // the events' timestamp until stamp()
};

// The body of a batch, uncompressed, and where its sequence and timestamp fields are (json and
// ndjson events carry a timestamp header; text lines have no headers).
std::string build_http_body(const HttpBatchOptions& options, SeqFields& fields, TimestampFields& stamps);

class HttpBatchRequest {
 public:
  static Result<HttpBatchRequest> build(const HttpBatchOptions& options);

  // The whole request as sent.
  std::string_view bytes() {
    if (crc_stale_) update_crc();
    return wire_;
  }
  std::string_view head() const { return std::string_view(wire_).substr(0, body_offset_); }
  std::string_view body() { return bytes().substr(body_offset_); }
  // gzip: the body before compression; otherwise body().
  std::string_view plain_body() const {
    return gzip_ ? std::string_view(plain_) : std::string_view(wire_).substr(body_offset_);
  }

  uint32_t events() const { return events_; }
  uint64_t first_seq() const { return first_seq_; }

  // Moves the request on to the events [first_seq, first_seq + events()). False, leaving it
  // unchanged, when they would not fit kSeqDigits or first_seq is below the current one.
  bool move_to(uint64_t first_seq);
  // Writes `ms` (the send time) into every event's timestamp header; nothing for text.
  void stamp(int64_t ms);

 private:
  HttpBatchRequest() = default;
  void update_crc();

  std::string wire_;
  size_t body_offset_ = 0;
  SeqFields wire_fields_;
  TimestampFields wire_stamps_;
  // gzip only: the plain body, kept in step with the wire for the trailer's CRC-32.
  bool gzip_ = false;
  std::string plain_;
  SeqFields plain_fields_;
  TimestampFields plain_stamps_;
  size_t crc_offset_ = 0;
  bool crc_stale_ = false;
  uint32_t events_ = 0;
  uint64_t first_seq_ = 0;
};

}  // namespace sluice::bench
