// Internal to sluice_http: where the body decoders put their events. Owns the arena for
// strings that had to be unescaped, the header and event tables, the limits and the error
// message text. Capacity is kept across requests: once warmed up, nothing is allocated.
//
// Threads: owned by one EventDecoder, on one shard thread.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "protocols/http/event_decoders.h"
#include "protocols/http/http_error.h"
#include "ringbuf/record.h"

namespace sluice::http::detail {

// What a JSON value was, for messages ("got an object").
enum class JsonKind : uint8_t { object, array, string, number, boolean, null };

std::string_view json_kind_article(JsonKind kind);  // "an object", "a string", ...

class EventBuilder {
 public:
  explicit EventBuilder(const EventDecoder::options& opts) : options_(opts) {}

  // Starts a request. `input` bounds the arena: unescaped strings are never longer than their
  // JSON text, so an arena of input.size() bytes never moves while it is being filled.
  void reset(std::string_view input, std::span<const ringbuf::Header> extra_headers);

  // The place messages name: "event N" (the default) or "line N" when set (NDJSON).
  void set_line(size_t line) { line_ = line; }
  size_t line_for_messages() const { return line_; }

  HttpError begin_event();
  // Drops headers added so far to the current event (a repeated "headers" field: last wins).
  void clear_headers() { headers_.resize(event_header_begin_); }
  HttpError add_header(std::string_view key, std::string_view value);
  void set_body(std::string_view body) { body_ = body; }
  HttpError end_event();
  // Builds the event views; call once after the last end_event().
  void finish();

  std::span<const DecodedEvent> events() const { return events_; }

  // Arena space for a string of at most `bytes_max` bytes; commit what was used.
  char* arena_reserve(size_t bytes_max) {
    SLUICE_ASSERT(arena_used_ + bytes_max <= arena_capacity_, "event arena overflow");
    return arena_.get() + arena_used_;
  }
  // The whole free rest of the arena (a string being unescaped has no known length yet; it
  // is never longer than its JSON text, so it fits).
  char* arena_tail() { return arena_.get() + arena_used_; }
  size_t arena_room() const { return arena_capacity_ - arena_used_; }
  std::string_view arena_commit(size_t bytes) {
    SLUICE_ASSERT(arena_used_ + bytes <= arena_capacity_, "event arena overflow");
    const std::string_view s(arena_.get() + arena_used_, bytes);
    arena_used_ += bytes;
    return s;
  }

  // An error message naming the place ("event 3: ..." / "line 7: ...").
  template <typename... Args>
  HttpError error_here(uint16_t status, fmt::format_string<Args...> format, Args&&... args) {
    message_.clear();
    if (line_ > 0) {
      fmt::format_to(std::back_inserter(message_), "line {}: ", line_);
    } else {
      fmt::format_to(std::back_inserter(message_), "event {}: ", pending_.size());
    }
    fmt::format_to(std::back_inserter(message_), format, std::forward<Args>(args)...);
    return {status, message_};
  }
  // A message without the place.
  template <typename... Args>
  HttpError error(uint16_t status, fmt::format_string<Args...> format, Args&&... args) {
    message_.clear();
    fmt::format_to(std::back_inserter(message_), format, std::forward<Args>(args)...);
    return {status, message_};
  }

  size_t event_count() const { return pending_.size(); }

 private:
  HttpError check_duplicate_keys(size_t begin, size_t end);

  const EventDecoder::options& options_;
  std::span<const ringbuf::Header> extra_headers_;
  size_t line_ = 0;
  // Events as header ranges while decoding (headers_ may grow), views after finish().
  struct Pending {
    uint32_t header_begin;
    uint32_t header_count;
    std::string_view body;
  };
  std::vector<Pending> pending_;
  std::vector<ringbuf::Header> headers_;
  std::vector<DecodedEvent> events_;
  std::vector<std::string_view> key_scratch_;  // duplicate detection in events with many headers
  size_t event_header_begin_ = 0;
  std::string_view body_;
  std::unique_ptr<char[]> arena_;
  size_t arena_used_ = 0;
  size_t arena_capacity_ = 0;
  std::string message_;
};

// A header key or value that may contain anything, cut and made safe for a message.
std::string_view message_excerpt(std::string_view text);

}  // namespace sluice::http::detail
