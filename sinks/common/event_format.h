// Text forms of an event, one line each, for sinks that write lines (file_roll, logger).
// Pure functions: any thread.
#pragma once

#include <string>
#include <string_view>

#include "ringbuf/record.h"

namespace sluice::sinks {

enum class LineFormat {
  text,             // the body, then "\n" (Flume's TEXT serializer)
  header_and_text,  // "{k1=v1, k2=v2} body\n" (Flume's HEADER_AND_TEXT)
  json,             // {"headers":{"k":"v"},"body":"..."}\n, the shape Flume's JSONHandler takes
};

void append_line(std::string& out, const ringbuf::EventView& event, LineFormat format);

// Appends `text` as the inside of a JSON string. Valid UTF-8 is kept as is; a byte that is not
// part of valid UTF-8 is written as \u00XX (its Latin-1 reading) so that nothing is dropped.
void append_json_string_body(std::string& out, std::string_view text);

}  // namespace sluice::sinks
