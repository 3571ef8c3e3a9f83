// Text forms of an event, one line each, for sinks that write lines (file_roll, HDFS, the Kafka
// sink's dead-letter file). Pure functions: any thread. Nothing is allocated per event beyond
// growing `out`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringbuf/record.h"

namespace sluice::sinks {

enum class LineFormat {
  text,             // the body, then "\n" (Flume's TEXT serializer)
  header_and_text,  // "{k1=v1, k2=v2} body\n" (Flume's HEADER_AND_TEXT)
  json,             // {"headers":{"k":"v"},"body":"..."}\n, the shape Flume's JSONHandler takes
};

// What the JSON form does with a body that is not valid UTF-8 (JSON text must be UTF-8).
// Headers always follow `replace`: Flume's headers are strings.
enum class InvalidUtf8 : uint8_t {
  replace,  // each maximal ill-formed subpart becomes U+FFFD (sinks/common/utf8.h)
  base64,   // the body is written as "bodyBase64":"<base64 of the raw bytes>" instead of "body"
};

// The serializers' invalidUtf8 key: "base64" or (anything else, the default) "replace".
inline InvalidUtf8 invalid_utf8_named(std::string_view name) {
  return name == "base64" ? InvalidUtf8::base64 : InvalidUtf8::replace;
}

// The one metric family every sink that writes JSON lines exposes (one HELP text for all).
inline constexpr std::string_view kInvalidUtf8EventsMetric = "sluice_sink_invalid_utf8_events_total";
inline constexpr std::string_view kInvalidUtf8EventsHelp =
    "Events written as JSON whose headers or body were not valid UTF-8: written with U+FFFD in place of "
    "each ill-formed subsequence, or with the body as base64 (an event written again after a failure "
    "counts again).";

// Appends the event's line. Returns true when the JSON form met invalid UTF-8 in the event (a
// header or the body), i.e. what was written is not the event's bytes: the sinks count these.
// The text forms write the bytes as they are and return false.
bool append_line(std::string& out, const ringbuf::EventView& event, LineFormat format,
                 InvalidUtf8 invalid_utf8 = InvalidUtf8::replace);

// Appends `text` as the inside of a JSON string: '"', '\\' and control characters escaped, valid
// UTF-8 kept as is, each maximal ill-formed subpart written as U+FFFD. Returns how many
// subparts were replaced.
size_t append_json_string_body(std::string& out, std::string_view text);

// Appends the standard base64 (RFC 4648, with padding) of `bytes`.
void append_base64(std::string& out, std::string_view bytes);

}  // namespace sluice::sinks
